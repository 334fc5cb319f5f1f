"""Bot API methods about the bot itself, its updates and its chats.

Rule: getUpdates is the only method that waits; everything else answers at once from the
world. Commands are stored per (scope, language), as Telegram resolves them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import telegram

from sandbox.context import Context, bot_method
from sandbox.errors import bad_request
from sandbox.objects import full_chat_obj, me_obj, member_obj
from sandbox.params import Params

_CHAT_ACTIONS = frozenset(telegram.constants.ChatAction)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_MAX_COMMANDS = 100


@bot_method("getMe")
def get_me(ctx: Context, params: Params) -> dict[str, Any]:
    return me_obj(ctx.world, privacy_mode=ctx.privacy).to_dict()


@bot_method("getUpdates")
async def get_updates(ctx: Context, params: Params) -> list[dict[str, Any]]:
    limit = params.integer("limit", 100) or 100
    allowed = params.json("allowed_updates")
    if allowed is not None and not isinstance(allowed, list):
        raise bad_request("can't parse allowed_updates JSON object")
    ctx.updates.set_allowed(allowed)
    timeout = max(0.0, params.number("timeout", 0.0))
    return await ctx.updates.poll(params.integer("offset"), min(max(limit, 1), 100), timeout)


@bot_method("deleteWebhook")
def delete_webhook(ctx: Context, params: Params) -> bool:
    if params.flag("drop_pending_updates"):
        ctx.updates.clear()
    return True


@bot_method("getWebhookInfo")
def get_webhook_info(ctx: Context, params: Params) -> dict[str, Any]:
    info = telegram.WebhookInfo(
        url="", has_custom_certificate=False, pending_update_count=ctx.updates.pending
    )
    return info.to_dict()


@bot_method("logOut")
@bot_method("close")
def log_out(ctx: Context, params: Params) -> bool:
    return True


@bot_method("getChat")
def get_chat(ctx: Context, params: Params) -> dict[str, Any]:
    chat = ctx.chat_param(params)
    return full_chat_obj(ctx.world, chat).to_dict()


def _member_id(ctx: Context, params: Params) -> int:
    user_id = params.required_integer("user_id")
    if user_id != ctx.world.bot.id and user_id not in ctx.world.users:
        raise bad_request("user not found")
    return user_id


@bot_method("getChatMember")
def get_chat_member(ctx: Context, params: Params) -> dict[str, Any]:
    chat = ctx.chat_param(params)
    user_id = _member_id(ctx, params)
    if chat.type == "private" and user_id not in (chat.id, ctx.world.bot.id):
        raise bad_request("user not found")
    return member_obj(ctx.world, chat, user_id).to_dict()


@bot_method("getChatAdministrators")
def get_chat_administrators(ctx: Context, params: Params) -> list[dict[str, Any]]:
    chat = ctx.chat_param(params)
    if not chat.is_group:
        raise bad_request("there are no administrators in the private chat")
    admins = list(chat.admins) + ([ctx.world.bot.id] if chat.bot_admin else [])
    return [member_obj(ctx.world, chat, user_id).to_dict() for user_id in admins]


@bot_method("getChatMemberCount")
def get_chat_member_count(ctx: Context, params: Params) -> int:
    chat = ctx.chat_param(params)
    if not chat.is_group:
        return 2
    return len(set(chat.members) | set(chat.admins)) + int(chat.bot_member)


@bot_method("pinChatMessage")
def pin_chat_message(ctx: Context, params: Params) -> bool:
    chat = ctx.writable_chat(params)
    if chat.is_group and not chat.bot_admin:
        raise bad_request("not enough rights to manage pinned messages in the chat")
    message_id = params.required_integer("message_id")
    if ctx.world.message(chat, message_id) is None:
        raise bad_request("message to pin not found")
    chat.pinned = message_id
    ctx.changes.bump()
    return True


@bot_method("unpinChatMessage")
def unpin_chat_message(ctx: Context, params: Params) -> bool:
    chat = ctx.writable_chat(params)
    if chat.is_group and not chat.bot_admin:
        raise bad_request("not enough rights to manage pinned messages in the chat")
    chat.pinned = None
    ctx.changes.bump()
    return True


@bot_method("sendChatAction")
def send_chat_action(ctx: Context, params: Params) -> bool:
    chat = ctx.writable_chat(params)
    action = params.text("action")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.last_action = action
    ctx.changes.bump()
    return True


def _commands_key(params: Params) -> str:
    scope = params.json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    language = params.text("language_code", "") or ""
    return json.dumps([scope, language], sort_keys=True)


@bot_method("setMyCommands")
def set_my_commands(ctx: Context, params: Params) -> bool:
    raw = params.json("commands")
    if not isinstance(raw, list) or len(raw) > _MAX_COMMANDS:
        raise bad_request("can't parse commands JSON object")
    commands = []
    for item in raw:
        command = telegram.BotCommand.de_json(item, None) if isinstance(item, dict) else None
        if command is None or not _COMMAND.fullmatch(command.command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command.description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append(command.to_dict())
    ctx.world.commands[_commands_key(params)] = commands
    ctx.changes.bump()
    return True


@bot_method("getMyCommands")
def get_my_commands(ctx: Context, params: Params) -> list[dict[str, str]]:
    return ctx.world.commands.get(_commands_key(params), [])


@bot_method("deleteMyCommands")
def delete_my_commands(ctx: Context, params: Params) -> bool:
    ctx.world.commands.pop(_commands_key(params), None)
    ctx.changes.bump()
    return True
