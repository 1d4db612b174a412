"""The image's `apt-get install` line brings what the staff's /report PDF needs at run time.

The running bot renders /report with WeasyPrint, which loads Pango, HarfBuzz, Fontconfig and
their libraries from the system, and sets the report in the fonts its template names: none of
them are in a slim Python image. A probe run in the image (`tests.deploy.image`) as its user
imports the bot's own modules, notes every file mapped into the process, then renders a line in
the report's font with WeasyPrint: every system file mapped only then (libraries and the font
file; fontconfig's cache aside) must belong to a package the Dockerfile's final stage installs,
or to one of those packages' dependencies, in this machine's Debian release, which must be
the image's base's release.

Assumed, not checked here: that the base image holds what the bot's own imports load (the
Python runtime's libraries: they are there before the probe's WeasyPrint part), and that apt
resolves the same dependencies in the base image as this machine's dpkg database lists.
"""

from __future__ import annotations

import json
import re
import shlex

from tests.deploy.debian import closure, codename, owners
from tests.deploy.dockerfile import ROOT
from tests.deploy.image import Image

REPORT_TEMPLATE = ROOT / "bot" / "stats" / "templates" / "report.html"
#: Run in the image: the files WeasyPrint adds to a process that already holds the bot.
PROBE = """
import json, sys
import bot.cli.main, bot.stats.document, bot.staff.report

def mapped():
    with open("/proc/self/maps") as maps:
        return {line.split()[-1] for line in maps if line.split()[-1].startswith("/")}

before = mapped()
from weasyprint import HTML
for family in sys.argv[1:]:
    HTML(string=f"<p style='font-family: \\"{family}\\"'>Lägesbild ÅÄÖ</p>").write_pdf()
print(json.dumps(sorted(mapped() - before)))
"""


def installed_by_dockerfile(image: Image) -> list[str]:
    packages = []
    for instruction in image.final.all("RUN"):
        for command in instruction.args.split("&&"):
            words = shlex.split(command)
            if words[:2] == ["apt-get", "install"]:
                packages += [w for w in words[2:] if not w.startswith("-")]
    return packages


def report_fonts() -> list[str]:
    """The font families the report's stylesheet names (generic families aside)."""
    css = " ".join(re.findall(r"font(?:-family)?:([^;}]*)", REPORT_TEMPLATE.read_text("utf-8")))
    return sorted(set(re.findall(r"\"([^\"]+)\"", css)))


def test_the_image_installs_what_the_report_pdf_loads(image: Image) -> None:
    assert image.final.base.endswith(f"-{codename()}"), "the base image's Debian is this one's"
    fonts = report_fonts()
    assert fonts, "the report names its fonts"
    probe = image.run(["python", "-c", PROBE, *fonts], timeout=120)
    assert probe.returncode == 0, probe.stderr
    loaded = [p for p in json.loads(probe.stdout) if not p.startswith(str(image.root))]
    system = [p for p in loaded if p.startswith(("/usr/", "/lib")) and "-packages/" not in p]
    assert any("libpango" in p for p in system), "the probe loaded Pango"
    assert any(p.endswith((".ttf", ".otf")) for p in system), "the probe opened a font file"
    unknown = [p for p in loaded if p not in system and not p.startswith("/var/cache/")]
    assert [p for p in unknown if "-packages/" not in p] == [], "files of no package"
    owned = owners(system)
    assert sorted(set(system) - set(owned)) == [], "system files dpkg does not know"
    brought = closure(installed_by_dockerfile(image))
    missing = sorted({package for package in owned.values() if package not in brought})
    assert missing == [], "the Dockerfile's apt-get install misses these packages"
