"""What staff and admins may do: views, export, reload and the audit log."""
