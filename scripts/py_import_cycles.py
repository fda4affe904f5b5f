"""Import cycles among a Python package's modules (relative and absolute imports, at any depth in a file)."""
import ast
import pathlib
import sys


def graph(pkg: pathlib.Path) -> dict[str, set[str]]:
    mods = {p.stem for p in pkg.glob("*.py")}
    g: dict[str, set[str]] = {m: set() for m in mods}
    for p in pkg.glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module:
                    target = node.module.split(".")[0]
                    if target in mods:
                        g[p.stem].add(target)
                elif node.level == 1:
                    g[p.stem].update(a.name for a in node.names if a.name in mods)
                elif node.module and node.module.split(".")[0] == pkg.name:
                    parts = node.module.split(".")
                    if len(parts) > 1 and parts[1] in mods:
                        g[p.stem].add(parts[1])
    return g


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(g[m]):
            if state.get(n) == 1:
                found.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)
    return found


if __name__ == "__main__":
    bad = [c for pkg in sys.argv[1:] for c in cycles(graph(pathlib.Path(pkg)))]
    for c in bad:
        print("python import cycle: " + " > ".join(c))
    sys.exit(1 if bad else 0)
