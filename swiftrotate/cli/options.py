"""The click side of what every command shares: the Context decorator and
the -v/-q/--debug options, accepted before the command name and after it.

Must not: run a command.
"""
import click

from .context import Context, setup_logging

pass_ctx = click.make_pass_decorator(Context)


def verbosity(command):
    """-v/-q/--debug also after the command name, where operators type them."""

    def apply(ctx, param, value):
        if value:
            obj = ctx.find_object(Context)
            setattr(obj, param.name, True)
            setup_logging(obj.settings, obj.debug, obj.verbose, obj.quiet)
        return value

    for name, flags, text in (("quiet", ("-q", "--quiet"), "Report errors only."),
                              ("verbose", ("-v", "--verbose"), "Report every file."),
                              ("debug", ("--debug",), "Show tracebacks and debug messages.")):
        command = click.option(*flags, name, is_flag=True, expose_value=False, callback=apply,
                               help=text)(command)
    return command
