"""A local Telegram Bot API sandbox for end-to-end tests and the offline demo.

`server.SandboxServer` speaks the Bot API to a real PTB application (methods in `methods`,
`media`, `chats`; Telegram's rules in `rules` and `markup`; faults in `faults`) and a control
API (`control`, `actions`) through which `client.SandboxClient` plays users and groups.
`pytest_plugin` holds the fixtures; `python -m sandbox --port PORT` runs it standalone.
"""
