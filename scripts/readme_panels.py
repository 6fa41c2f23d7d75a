"""Rebuild the "## Panels" section of README.md from the panel docs in docs/ (headings demoted)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [
    "docs/quiver.md",
    "docs/quiver_editor.md",
    "docs/quiver_gnn.md",
    "docs/bundle.md",
    "docs/repsim.md",
    "docs/adversarial.md",
    "docs/micrograph.md",
    "docs/diffusion_id.md",
    "docs/concepts.md",
    "docs/equivariant.md",
    "docs/cluster.md",
]
INTRO = (
    "Each panel's numbers below were measured with the command given beside them, on this project's 2-core "
    "CPU machine (often shared with other work while measured, so timings vary between runs); the same text "
    "lives in `docs/`, and `make bench` prints every benchmark's ratios against its anchor.\n\n"
)


def section(path: str) -> str:
    lines = (ROOT / path).read_text().strip().splitlines()
    out = []
    for k, line in enumerate(lines):
        m = re.match(r"^(#+) (.*)", line)
        if m:
            line = "#" * (3 if k == 0 else max(4, len(m.group(1)) + 2)) + " " + m.group(2)
        # an image beside the doc (docs/x.png) is docs/x.png from the README
        line = re.sub(r"(!\[[^\]]*\]\()(?![a-z]+:|/)([^)]+\))", lambda m: m.group(1) + "docs/" + m.group(2), line)
        out.append(line)
    return "\n".join(out) + f"\n\n*(from [{path}]({path}))*\n"


def main() -> None:
    readme = (ROOT / "README.md").read_text()
    head = readme[: readme.index("## Panels")]
    (ROOT / "README.md").write_text(head + "## Panels\n\n" + INTRO + "\n".join(section(p) for p in DOCS))


if __name__ == "__main__":
    main()
