"""Every command's help prints (a stray % in a help text made argparse crash on --help)."""
import pytest

from tui_factu.cli.parser import COMMANDS, build_parser


@pytest.mark.parametrize("command", ("",) + COMMANDS)
def test_help_prints_for_every_command(command, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(([command] if command else []) + ["--help"])
    assert done.value.code == 0
    assert "usage: tui-factu" in capsys.readouterr().out
