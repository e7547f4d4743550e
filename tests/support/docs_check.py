#!/usr/bin/env python3
"""Checks the documentation and completions against the binary's own `--help`.

  docs_check.py commands CERTCTL                 print every command path and its long options
  docs_check.py man CERTCTL MAN_PAGE              man page vs --help (both ways)
  docs_check.py completions CERTCTL FILE...       every command and long option in each file
  docs_check.py readme CERTCTL README MAN_PAGE    README's "## Commands": every command, every
                                                  global option, every variable of ENVIRONMENT

Commands are found by walking `certctl help [PATH...]` from the root. Options that the root
shows (the global options) are checked against the man page's GLOBAL OPTIONS section only, so
a new global option is documented once, there. Prints one line per problem; exit 1 if any.
"""
import re
import subprocess
import sys

OPTION_LINE = re.compile(r"^  (?:-\w,)?(--[a-z0-9][a-z0-9-]*)")
LONG = re.compile(r"--[a-z0-9][a-z0-9-]*")


def help_text(binary, path):
    out = subprocess.run([binary, "help", *path], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"`certctl help {' '.join(path)}` exited {out.returncode}: {out.stderr.strip()}")
    return out.stdout


def parse_help(text):
    """(long options, subcommand names) of one command's --help."""
    options, subs, section = [], [], None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            section = line.rstrip(":")
            continue
        if section == "Subcommands":
            m = re.match(r"^  ([a-z0-9.-]+)", line)  # "list, ls": the name, not its alias
            if m:
                subs.append(m.group(1))
        elif section != "Positionals":
            m = OPTION_LINE.match(line)
            if m:
                options.append((m.group(1), line.strip()))
    return options, subs


def walk_lines(binary):
    """{path tuple: [(long option, its help line)]} for every command; the root is ()."""
    found, todo = {}, [()]
    while todo:
        path = todo.pop(0)
        options, subs = parse_help(help_text(binary, list(path)))
        found[path] = options
        todo += [path + (s,) for s in subs]
    return found


def walk(binary):
    """{path tuple: [long options]} for every command; the root is ()."""
    return {path: [o for o, _ in opts] for path, opts in walk_lines(binary).items()}


def own_options(binary):
    """Every command's options without --help and the global ones (shown as the root shows
    them; a command's own option of the same name, like `agent --key-file`, is its own)."""
    commands = walk_lines(binary)
    global_lines = {line for _, line in commands[()]}
    out = {}
    for path, opts in commands.items():
        if path:
            out[path] = [o for o, line in opts if line not in global_lines and o != "--help"]
    return out


def roff_plain(text):
    text = re.sub(r"\\f[BIRP]", "", text)
    text = text.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")
    return text


def man_sections(man):
    """{heading: [lines]} for every .SH and .SS heading (quotes removed, roff made plain)."""
    sections, current = {}, None
    for line in man.splitlines():
        m = re.match(r'^\.(SH|SS)\s+"?(.*?)"?\s*$', line)
        if m:
            current = roff_plain(m.group(2))
            sections.setdefault(current, [])
            continue
        if current is not None:
            sections[current].append(roff_plain(line))
    return sections


def listed_options(lines):
    """The options a section lists formally: its synopsis (up to the first .PP) and the first
    line of each .TP item."""
    out, synopsis, after_tp = set(), True, False
    for line in lines:
        if line.startswith(".PP") or line.startswith(".TP"):
            synopsis = False
        if synopsis or after_tp:
            out.update(LONG.findall(line))
        after_tp = line.startswith(".TP")
    return out


# Sections that take another command's options by reference instead of listing them: edit
# ("Takes the options of create and the issue settings of issue"), policy check (create's), and the migrate sources
# after certbot ("the same for ...", "challenge options").
INHERITS = {
    ("edit",): [("create",), ("issue",)],
    ("policy", "check"): [("create",)],
    ("migrate", "lego"): [("migrate", "certbot")],
    ("migrate", "acme.sh"): [("migrate", "certbot")],
}


def check_man(binary, man_path):
    commands = walk(binary)
    own = own_options(binary)
    sections = man_sections(open(man_path, encoding="utf-8").read())
    problems = []
    # Global options: each in GLOBAL OPTIONS, and nothing listed there the root lacks.
    global_lines = sections.get("GLOBAL OPTIONS", [])
    global_text = "\n".join(global_lines)
    globals_ = [o for o in commands[()] if o not in ("--help", "--version")]
    for o in globals_:
        if not re.search(re.escape(o) + r"(?![a-z0-9-])", global_text):
            problems.append(f"GLOBAL OPTIONS: {o} is missing")
    for o in sorted(listed_options(global_lines) - set(commands[()])):
        problems.append(f"GLOBAL OPTIONS: lists {o}, which certctl does not have")
    for path, opts in sorted(own.items()):
        name = " ".join(path)
        lines = sections.get(name)
        if lines is None:
            if opts:
                problems.append(f"{name}: no section, but the command has {' '.join(opts)}")
            continue
        if path == ("dns", "add"):  # the provider types' options are described under DNS PROVIDERS
            lines = lines + sections.get("DNS PROVIDERS", []) + [
                l for heading, body in sections.items() if heading in provider_types(binary) for l in body]
        text = "\n".join(lines)
        for other in INHERITS.get(path, []):
            text += "\n" + "\n".join(sections.get(" ".join(other), []))
        for o in opts:
            if not re.search(re.escape(o) + r"(?![a-z0-9-])", text):
                problems.append(f"{name}: {o} is missing")
        for o in sorted(listed_options(lines) - set(opts) - set(globals_)):
            problems.append(f"{name}: lists {o}, which `certctl {name}` does not have")
    return problems


def provider_types(binary):
    text = help_text(binary, ["dns", "add"])
    m = re.search(r"--provider TEXT:\{([^}]*)\}", text)
    return [t.strip() for t in m.group(1).split(",")] if m else []


def check_completions(binary, files):
    commands = walk(binary)
    names = sorted({word for path in commands for word in path})
    options = sorted({o for opts in commands.values() for o in opts})
    problems = []
    for f in files:
        text = open(f, encoding="utf-8").read()
        fish = f.endswith(".fish")
        for n in names:
            if not re.search(r"(?<![A-Za-z0-9.-])" + re.escape(n) + r"(?![A-Za-z0-9-])", text):
                problems.append(f"{f}: command {n} is missing")
        for o in options:
            pattern = (r"-l " + re.escape(o[2:]) if fish else re.escape(o)) + r"(?![a-z0-9-])"
            if not re.search(pattern, text):
                problems.append(f"{f}: option {o} is missing")
        for t in provider_types(binary):
            if not re.search(r"provider[^\n]*\b" + re.escape(t) + r"\b", text):
                problems.append(f"{f}: provider type {t} is not offered after --provider")
    return problems


def check_readme(binary, readme_path, man_path):
    commands = walk(binary)
    readme = open(readme_path, encoding="utf-8").read()
    m = re.search(r"^## Commands\n(.*?)^## ", readme, re.S | re.M)
    if not m:
        return [f"{readme_path}: no '## Commands' section"]
    text = m.group(1)
    problems = []
    for path in commands:
        has_subcommands = any(p[: len(path)] == path and len(p) > len(path) for p in commands)
        if path and not has_subcommands and not re.search("`" + re.escape(" ".join(path)) + r"[ `]", text):
            problems.append(f"README commands: {' '.join(path)} is missing")
    for o in commands[()]:
        if not re.search(re.escape(o) + r"(?![a-z0-9-])", text):
            problems.append(f"README commands: global option {o} is missing")
    env = man_sections(open(man_path, encoding="utf-8").read()).get("ENVIRONMENT", [])
    for i, line in enumerate(env):
        if i > 0 and env[i - 1].startswith(".TP"):
            for var in re.findall(r"^\.B ([A-Z][A-Z0-9_]+)$", line):
                if not re.search(r"`" + var + "`", text):
                    problems.append(f"README commands: environment variable {var} is missing")
    return problems


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "commands":
        for path, opts in walk(sys.argv[2]).items():
            print(" ".join(path) or "(root)", ":", " ".join(opts))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "man":
        problems = check_man(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "readme":
        problems = check_readme(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) >= 4 and sys.argv[1] == "completions":
        problems = check_completions(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
