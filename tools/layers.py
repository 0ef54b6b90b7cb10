"""Draw the package's layers, which module imports which, as a Mermaid diagram in nbs/index.ipynb and README.md.

    python tools/layers.py           # rewrite the diagram between its markers in nbs/index.ipynb, then README.md
    python tools/layers.py --check   # exit 1 if the diagram there is not what the modules' imports give

Read from the exported modules (`mnist_nb/*.py`), never from a list kept by hand: an arrow is an import. A solid
arrow is an import at the top of a module; a dotted one, an import inside a function (the command line's, made
when a command runs).
"""
import ast, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE, INDEX = ROOT / "mnist_nb", ROOT / "nbs" / "index.ipynb"
START, END = "<!-- layers:start -->", "<!-- layers:end -->"


def chapters() -> dict:
    "{module: its notebook's name}, from each notebook's `#| default_exp`, in the book's order."
    found = {}
    for notebook in sorted((ROOT / "nbs").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            match = re.search(r"^#\|\s*default_exp\s+(\w+)", "".join(cell["source"]), re.M)
            if match: found[match.group(1)] = notebook.stem; break
    return found


def imports(module: str) -> dict:
    "{imported module: True if imported at the top of `module`, False if only inside a function}."
    tree, found = ast.parse((PACKAGE / f"{module}.py").read_text()), {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom): continue
        name = node.module or ""
        target = name.split(".")[0] if node.level == 1 else \
            name.split(".")[1] if name.startswith("mnist_nb.") else None
        if target and target != module:
            found[target] = found.get(target, False) or node in tree.body
    return found


def graph() -> dict:
    "{module: {imported module: at the top}} for every chapter's module."
    return {module: imports(module) for module in chapters()}


def mermaid() -> str:
    "The diagram, as a fenced Mermaid block that GitHub renders: users above what they use."
    lines = ["```mermaid", "flowchart TD"]
    lines += [f'    {module}["{notebook[:2]} {module}"]' for module, notebook in chapters().items()]
    for module, used in graph().items():
        lines += [f"    {module} {'-->' if top else '-.->'} {target}" for target, top in sorted(used.items())]
    return "\n".join(lines + ["```"])


def with_diagram(text: str) -> str:
    "`text` with the diagram between its markers."
    before, rest = text.split(START, 1)
    return f"{before}{START}\n{mermaid()}\n{END}{rest.split(END, 1)[1]}"


def main(check: bool) -> int:
    notebook = json.loads(INDEX.read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if START in "".join(c["source"]))
    text = "".join(cell["source"])
    if check:
        if with_diagram(text) != text:
            print(f"{INDEX.relative_to(ROOT)}: the layers diagram is out of date: run `python tools/layers.py`")
            return 1
        print("the layers diagram matches the imports")
        return 0
    cell["source"] = with_diagram(text).splitlines(keepends=True)
    INDEX.write_text(json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.path.insert(0, str(ROOT / "tools"))
    import readme
    (ROOT / "README.md").write_text(readme.render(), encoding="utf-8")
    print(f"wrote the layers diagram into {INDEX.relative_to(ROOT)} and README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv[1:]))
