"""Errors whose message is meant for the person who caused them.

Each carries the Slack error string the Web API answers with, so the domain layer speaks
Slack's vocabulary and the HTTP layer only serialises it.
"""

from __future__ import annotations

from collections.abc import Sequence


class BackchannelError(Exception):
    """A failure to report as one clear line (CLI) or one Slack error (Web API)."""

    slack_error = "internal_error"

    def __init__(self, message: str, *, slack_error: str | None = None) -> None:
        super().__init__(message)
        if slack_error is not None:
            self.slack_error = slack_error

    @property
    def message(self) -> str:
        return str(self.args[0])


class ConfigError(BackchannelError):
    """Bad flags, config file, database URL or data directory."""

    slack_error = "invalid_arguments"


class InvalidArgument(BackchannelError):
    slack_error = "invalid_arguments"


class InvalidContent(InvalidArgument):
    """Blocks or attachments Slack would refuse: one line per problem, each naming its field
    with a JSON pointer (the Web API lists them in `errors` and `response_metadata`)."""

    def __init__(self, problems: Sequence[str], *, slack_error: str) -> None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(problems[0] + more, slack_error=slack_error)
        self.problems = tuple(problems)


class NotFound(BackchannelError):
    slack_error = "not_found"


class AlreadyExists(BackchannelError):
    slack_error = "already_exists"


class AuthError(BackchannelError):
    slack_error = "invalid_auth"


class StorageUnavailable(BackchannelError):
    """A shard (or the main DB) cannot be reached; only its workspaces are affected."""

    slack_error = "service_unavailable"


class SchemaBehind(BackchannelError):
    """A database whose schema is older than this code: `backchannel db migrate` fixes it."""

    slack_error = "service_unavailable"
