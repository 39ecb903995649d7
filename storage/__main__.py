"""Account administration for multi-user mode.

    python -m storage create-mentor NAME [--password-stdin]
    python -m storage create-user NAME [--role aspirant|mentor] [--password-stdin]
    python -m storage set-role NAME aspirant|mentor
    python -m storage set-password NAME [--password-stdin]
    python -m storage list-users

The password is asked for twice on the terminal (never echoed), or read as the
first line of standard input with ``--password-stdin``; it is never taken from
the command line, where other users of the machine could read it.  The database
is ``DATABASE_URL`` (default ``data/mains.db``), as for the app.  Errors print
one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from storage import accounts


class CommandError(Exception):
    pass


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CommandError("no password on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for the password; pass --password-stdin and pipe it in")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Same password again: ") != first:
        raise CommandError("the two passwords differ")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m storage", description="Accounts for multi-user mode.")
    commands = parser.add_subparsers(dest="command", required=True)
    mentor = commands.add_parser("create-mentor", help="make a mentor account")
    mentor.add_argument("name")
    mentor.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    user = commands.add_parser("create-user", help="make an account (aspirant by default)")
    user.add_argument("name")
    user.add_argument("--role", choices=accounts.ROLES, default=accounts.ASPIRANT)
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    role = commands.add_parser("set-role", help="make an account a mentor or an aspirant")
    role.add_argument("name")
    role.add_argument("role", choices=accounts.ROLES)
    password = commands.add_parser("set-password", help="replace a password (ends that account's sessions)")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    commands.add_parser("list-users", help="every account with its role")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command in ("create-mentor", "create-user"):
            role = accounts.MENTOR if args.command == "create-mentor" else args.role
            name = accounts.normalise_name(args.name)  # say a bad name before asking for a password
            if accounts.get_account(name) is not None:
                raise accounts.NameTaken(f"the name {name!r} is taken"
                                         + ("; use set-role to make it a mentor" if role == accounts.MENTOR else ""))
            user = accounts.create_account(name, read_password(args.password_stdin), role)
            print(f"created {user.role} {user.name!r}")
        elif args.command == "set-role":
            user = accounts.set_role(args.name, args.role)
            print(f"{user.name!r} is now {'an' if user.role == accounts.ASPIRANT else 'a'} {user.role}")
        elif args.command == "set-password":
            if accounts.get_account(args.name) is None:
                raise accounts.UnknownAccount(f"no account called {args.name!r}")
            user = accounts.set_password(args.name, read_password(args.password_stdin))
            print(f"password changed for {user.name!r}; its sessions have ended")
        elif args.command == "list-users":
            users = accounts.list_accounts()
            if not users:
                print("no accounts yet")
            for user in users:
                print(f"{user.name}\t{user.role}\t{user.created_at:%Y-%m-%d %H:%M} UTC")
    except (accounts.AccountError, CommandError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
