"""`deepchorale <app> [hydra overrides]`: one command, one Hydra app per subcommand.

Hydra's shell completion goes through here too. The script that `deepchorale <app> -sc
install=bash` prints registers the command `deepchorale` and, on every <Tab>, runs `deepchorale -sc
query=bash` with the whole line in COMP_LINE: the app name is completed here, the rest by that
app's Hydra, which is shown the line without the app word.

File names go through Hydra's override grammar, which has no room for accents, quotes, brackets
or `#` in a bare value (`melody=/tmp/Café tune.mid`). The value of such a `key=value` is handed to
Hydra quoted when it names a file, or looks like a file name; any other argument Hydra cannot read
stops here with one line that shows how to quote it. So does an output folder that cannot be one
(`hydra.run.dir` naming a file, or a name longer than file systems allow), which Hydra would only
meet with a traceback.
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
import sys

from deepchorale.apps import APPS
from deepchorale.cpu_threads import fit_threads

USAGE = (
    "usage: deepchorale <app> [hydra overrides] [-m]\n\napps:\n"
    + "\n".join(f"  {name:<10}{summary}" for name, (_, summary) in APPS.items())
    + '\n\ntab completion (bash; fish likewise): eval "$(deepchorale train -sc install=bash)"'
)
COMPLETION_FLAGS = ("-sc", "--shell-completion")


class OverrideError(Exception):
    """An argument that Hydra's override grammar cannot read, even quoted."""


OUTPUT_DIRS = ("hydra.run.dir", "hydra.sweep.dir")
NAME_MAX = 255  # bytes in one file name, on Linux's file systems


def check_output_dirs(arguments: list[str]) -> None:
    """An OverrideError for a run or sweep dir that cannot be made: a file on its way, a name too long."""
    for argument in arguments:
        key, _, value = argument.partition("=")
        if key.lstrip("+") not in OUTPUT_DIRS or not value or "${" in value:
            continue
        folder = os.path.abspath(os.path.expanduser(value))
        long = next((part for part in folder.split(os.sep) if len(os.fsencode(part)) > NAME_MAX), None)
        if long:
            raise OverrideError(f"{key}: the name {long[:40]}... is longer than {NAME_MAX} bytes")
        path = folder
        while not os.path.lexists(path):
            path = os.path.dirname(path)
        if not os.path.isdir(path):
            raise OverrideError(f"{key}={value}: {path} is a file, not a folder")


def hydra_quoted(value: str) -> str:
    """`value` as a quoted string of Hydra's grammar: in double quotes (a shell's single quotes can
    hold them), or single ones if it holds a double quote; its own quotes escaped, and backslashes
    before a quote or the closing one doubled."""
    quote = '"' if '"' not in value else "'"
    escaped = re.sub(
        rf"(\\*)({quote}|$)", lambda m: m.group(1) * 2 + ("\\" + m.group(2) if m.group(2) else ""), value
    )
    return f"{quote}{escaped}{quote}"


def looks_like_a_file_name(value: str) -> bool:
    """A path or a name with an extension, not a list, dict or sweep (a comma) written wrongly."""
    if not value or value[0] in "[{(" or "," in value:
        return False
    return "/" in value or "." in value or not value.isascii()


def hydra_ready(arguments: list[str]) -> list[str]:
    """The arguments, each `key=value` whose value is a file name that Hydra would misread quoted."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    ready = []
    for argument in arguments:
        key, equals, value = argument.partition("=")
        if argument.startswith("-") or not equals:  # a flag (-m, --cfg job) or a flag's value
            ready.append(argument)
            continue
        names_a_file = os.path.lexists(value)
        quoted = f"{key}={hydra_quoted(value)}"
        try:
            parser.parse_override(argument)
            # Readable, but a file `a, b.mid` would be a sweep and ` a.mid` lose its space.
            misread = names_a_file and ("," in value or value != value.strip())
            problem = "a file name that Hydra reads as a sweep or trims"
        except HydraException as error:
            misread, problem = True, str(error).strip().splitlines()[0]
        if not misread:
            ready.append(argument)
        elif (names_a_file or looks_like_a_file_name(value)) and reads_back(parser, quoted, value):
            ready.append(quoted)
        else:
            raise OverrideError(
                f"Hydra cannot read {argument!r} ({problem}); a file name or text with such characters "
                f"needs quotes that reach Hydra, e.g. {shlex.quote(quoted)} (in a sweep, around each choice)"
            )
    return ready


def reads_back(parser, override: str, value: str) -> bool:
    from hydra.errors import HydraException

    try:
        return parser.parse_override(override).value() == value
    except HydraException:
        return False


def run_app(app: str, arguments: list[str]) -> None:
    fit_threads()  # before the app can load torch: OpenMP reads its environment once
    sys.argv = [f"deepchorale {app}", *arguments]
    importlib.import_module(APPS[app][0]).main()


def run_hydra_completion(app: str, request: list[str]) -> None:
    """Hydra's completion for `app` from its primary config (conf/<app>.yaml), without importing the
    app (torch, Lightning: seconds per <Tab>). Hydra names the completed command after argv[0]."""
    import hydra

    from deepchorale.apps.runner import CONFIG_PATH

    sys.argv = ["deepchorale", *request]
    hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name=app)(lambda cfg: None)()


def shell_completion(argv: list[str]) -> None:
    flag = next(i for i, argument in enumerate(argv) if argument in COMPLETION_FLAGS)
    request = argv[flag : flag + 2]  # e.g. ["-sc", "install=bash"]
    if not any(argument.startswith("query=") for argument in request):  # install= / uninstall=
        run_hydra_completion(argv[0] if argv[0] in APPS else next(iter(APPS)), request)
        return
    line = os.environ.get("COMP_LINE")
    if line is None:
        print("deepchorale: error: a completion query needs COMP_LINE, which the shell sets", file=sys.stderr)
        sys.exit(2)
    words = line.split()
    if len(words) <= 1 or (len(words) == 2 and not line[-1].isspace()):  # still typing the app name
        typed = words[1] if len(words) == 2 else ""
        names = [name for name in APPS if name.startswith(typed)]
        print(("\n" if request[-1] == "query=fish" else " ").join(names))
        return
    if words[1] not in APPS:
        return  # nothing to offer after an unknown app
    command, app = words[0], words[1]
    rest = line[re.match(r"\s*\S+\s+\S+", line).end() :]  # the line after the app word
    os.environ["COMP_LINE"] = f"{command}{rest}"
    if "COMP_POINT" in os.environ:
        os.environ["COMP_POINT"] = str(
            max(0, int(os.environ["COMP_POINT"]) - len(line) + len(command + rest))
        )
    run_hydra_completion(app, request)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if any(argument in COMPLETION_FLAGS for argument in argv):
        shell_completion(argv)
        return
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        sys.exit(0 if argv else 2)
    app, *overrides = argv
    if app not in APPS:
        print(f"deepchorale: error: unknown app {app!r}; choose from {', '.join(APPS)}", file=sys.stderr)
        sys.exit(2)
    try:
        check_output_dirs(overrides)
        arguments = hydra_ready(overrides)
    except OverrideError as error:
        print(f"deepchorale {app}: error: {error}", file=sys.stderr)
        sys.exit(2)
    run_app(app, arguments)


if __name__ == "__main__":
    main()
