"""Help texts of the command line: every option shows its default, epilogs keep their line breaks."""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """``(default: X)`` after an option's help unless the default is None or a flag's False/True
    (nothing to say), or the help already names its default; descriptions and epilogs (examples)
    are printed as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        nothing = any(action.default is x for x in (None, False, True, argparse.SUPPRESS))  # 0 and 1 do show
        if nothing or "%(default)" in text or "(default" in text:
            return text
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return text + " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` whose help uses `HelpFormatter`; sub-command parsers made by
    its ``add_subparsers`` are of this class too."""

    def __init__(self, *args, formatter_class=HelpFormatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)


def examples(*lines: str) -> str:
    """An epilog of example command lines."""
    return "examples:\n" + "\n".join(f"  {x}" for x in lines)
