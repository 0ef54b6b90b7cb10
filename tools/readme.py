"""Write README.md from nbs/index.ipynb, as `nbdev_readme` would without Quarto (which cannot be installed offline).

    python tools/readme.py           # rewrite README.md
    python tools/readme.py --check   # exit 1 if README.md is not what index.ipynb gives
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDEX, README = ROOT / "nbs" / "index.ipynb", ROOT / "README.md"
NOTICE = "<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, then run that script. -->\n\n"

def cell_markdown(cell: dict) -> str | None:
    "A notebook cell as README markdown: markdown as it is, code (unless `#| hide`) fenced, with its text output."
    source = "".join(cell["source"])
    if cell["cell_type"] == "markdown":
        link = r"\]\((\d\d_\w+\.ipynb(?:#[\w-]+)?|images/[\w.-]+)\)"  # a chapter (or a section of one), an image
        source = re.sub(link, r"](nbs/\1)", source)  # links relative to nbs/ …
        return re.sub(r"\]\(\.\./", "](", source)  # … and to the repository's root, from nbs/
    lines = source.splitlines()
    if cell["cell_type"] != "code" or any(re.fullmatch(r"#\|\s*hide\s*", line) for line in lines): return None
    code = "\n".join(line for line in lines if not line.startswith("#|"))
    if not code.strip(): return None  # a cell of directives only (`#| default_exp`)
    outputs = ["".join(o.get("text") or o.get("data", {}).get("text/plain", "")) for o in cell.get("outputs", [])]
    return "\n\n".join([f"```python\n{code}\n```"] + [f"```\n{text.rstrip()}\n```" for text in outputs if text.strip()])

def render(index: Path = INDEX) -> str:
    "The README text that `index` gives."
    cells = json.loads(index.read_text(encoding="utf-8"))["cells"]
    return NOTICE + "\n\n".join(md for md in map(cell_markdown, cells) if md) + "\n"

if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv[1:]:
        if README.read_text(encoding="utf-8") != text:
            sys.exit(f"{README.name} is out of date with {INDEX.relative_to(ROOT)}: run `python tools/readme.py`")
        print(f"{README.name} matches {INDEX.relative_to(ROOT)}")
    else:
        README.write_text(text, encoding="utf-8")
        print(f"wrote {README.relative_to(ROOT)} from {INDEX.relative_to(ROOT)}")
