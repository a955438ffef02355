"""The HTTP handlers (protocol § 8): each validates its input, calls the Vault, shapes JSON.

Every handler runs after the guard and the signature check; `request["client"]` is the caller.
Scope is re-checked on every call: entries and customers outside it are 404, like missing ones.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict
from functools import partial

from aiohttp import web

from companion.errors import NotFound, UserError
from companion.server.auth import seal_for, unseal_from
from companion.server.guard import COMPANION, ApiError

API_VERSION = 1
MAX_TEXT = 4096


def respond(data: dict, status: int = 200) -> web.Response:
    body = json.dumps(data, ensure_ascii=False, default=str).encode()
    return web.Response(status=status, body=body, content_type="application/json")


def _field(body: dict, name: str, kind, *, required: bool = False, default=None):
    value = body.get(name, default)
    if value is None:
        if required:
            raise ApiError(f"missing field {name!r}")
        return default
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise ApiError(f"field {name!r} has the wrong type")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise ApiError(f"field {name!r} is too long")
    return value


def _str_list(body: dict, name: str):
    value = _field(body, name, list)
    if value is not None and not all(isinstance(v, str) for v in value):
        raise ApiError(f"field {name!r} must be a list of strings")
    return value


def _ctx(request: web.Request):
    return request.app[COMPANION], request["client"], request["json"]


def _vault(request: web.Request):
    """The unlocked vault. `"passive": true` in the body marks a refresh nobody asked for (the
    popup's ticker): it is served but does not count as activity for the idle auto-lock."""
    passive = _field(request["json"], "passive", bool, default=False)
    return request.app[COMPANION].unlocked_vault(activity=not passive)


def _team(vault) -> bool:
    """A team member's vault: some requests then need PostgreSQL (team_ops runs them off the loop)."""
    return hasattr(vault, "team") and vault.team() is not None


def _actor(client) -> str:
    return f"client:{client.id}"


def _need_write(client) -> None:
    if not client.scope.write:
        raise ApiError("this client is read-only", status=403, code="read_only")


def scoped_entry(vault, client, entry_id: str):
    """The entry, or one uniform 404 whether it is missing or outside the client's scope."""
    try:
        entry = vault.entry(entry_id)
    except NotFound:
        raise NotFound("no such entry") from None
    if not client.scope.allows_customer(entry.customer_id):
        raise NotFound("no such entry")
    return entry


def scoped_customer(vault, client, customer_id: str):
    try:
        customer = vault.customer(customer_id)
    except NotFound:
        raise NotFound("no such customer") from None
    if not client.scope.allows_customer(customer.id):
        raise NotFound("no such customer")
    return customer


def _entry_of(request):
    _, client, body = _ctx(request)
    vault = _vault(request)
    return vault, client, scoped_entry(vault, client, _field(body, "entry_id", str, required=True))


# ---- status, lock ----------------------------------------------------------------------------
async def status(request: web.Request) -> web.Response:
    companion, client, _ = _ctx(request)
    return respond({
        "locked": companion.locked,
        "api_version": API_VERSION,
        "server_time": time.time(),
        "client_id": client.id,
        "client_name": client.name,
        "scope": client.scope.public(),
        "unlock_allowed": companion.config.allow_http_unlock,
        "idle_lock_minutes": companion.config.idle_lock_minutes,
    })


async def unlock(request: web.Request) -> web.Response:
    companion, client, body = _ctx(request)
    if not companion.config.allow_http_unlock:
        raise ApiError("unlocking over HTTP is switched off", status=403, code="unlock_disabled")
    password = unseal_from(client, "unlock", _field(body, "password", str, required=True))
    from companion.errors import WrongPassword

    try:
        companion.unlock(password)
    except WrongPassword:
        companion.auth.failures.fail(client.id)
        raise
    return respond({"locked": False})


async def lock(request: web.Request) -> web.Response:
    request.app[COMPANION].lock("on a client's request")
    return respond({"locked": True})


# ---- entries and codes -------------------------------------------------------------------------
async def entries(request: web.Request) -> web.Response:
    _, client, body = _ctx(request)
    vault = _vault(request)
    site = _field(body, "site", str)
    search = _field(body, "search", str)
    customer_id = _field(body, "customer_id", str)
    ids = client.scope.customers
    if customer_id is not None:
        ids = (scoped_customer(vault, client, customer_id).id,)
    if site:
        found = vault.entries_for_site(site, customer_ids=ids)
        if search:
            wanted = {e.id for e in vault.entries(search=search, customer_ids=ids)}
            found = [e for e in found if e.id in wanted]
    else:
        found = vault.entries(search=search or None, customer_ids=ids)
    return respond({"entries": [e.public() for e in found]})


async def entry(request: web.Request) -> web.Response:
    _, _, found = _entry_of(request)
    return respond({"entry": found.public()})


async def code(request: web.Request) -> web.Response:
    vault, client, found = _entry_of(request)
    if _team(vault):  # a HOTP code of a team entry: PostgreSQL in a worker thread
        from companion.server.team_ops import team_code
        from companion.team.view import TeamEntry

        if isinstance(found, TeamEntry):
            result = await team_code(vault, found, _actor(client))
            return respond({"entry_id": found.id, **result.public()})
    result = vault.code(found, actor=_actor(client))
    return respond({"entry_id": found.id, **result.public()})


async def reveal_password(request: web.Request) -> web.Response:
    vault, client, found = _entry_of(request)
    password = vault.reveal_password(found.id, actor=_actor(client))
    return respond({"password": seal_for(client, "reveal-password", password)})


# ---- customers ---------------------------------------------------------------------------------
def _customer_json(customer) -> dict:
    return asdict(customer)


async def customers(request: web.Request) -> web.Response:
    _, client, _ = _ctx(request)
    found = [c for c in _vault(request).customers() if client.scope.allows_customer(c.id)]
    return respond({"customers": [_customer_json(c) for c in found]})


async def customer_create(request: web.Request) -> web.Response:
    _, client, body = _ctx(request)
    _need_write(client)
    if client.scope.customers is not None:
        raise ApiError("this client is limited to listed customers", status=403, code="read_only")
    name = _field(body, "name", str, required=True)
    notes, vault = _field(body, "notes", str, default=""), _vault(request)
    if _team(vault):  # a team customer: its keys and record go to PostgreSQL first
        from companion.server.team_ops import on_clone

        return respond({"customer": await on_clone(
            request.app[COMPANION], vault,
            lambda clone: _customer_json(clone.add_customer(name, notes)))})
    created = vault.add_customer(name, notes)
    return respond({"customer": _customer_json(created)})


async def customer_update(request: web.Request) -> web.Response:
    _, client, body = _ctx(request)
    _need_write(client)
    vault = _vault(request)
    found = scoped_customer(vault, client, _field(body, "customer_id", str, required=True))
    updated = vault.update_customer(
        found.id, name=_field(body, "name", str), notes=_field(body, "notes", str)
    )
    return respond({"customer": _customer_json(updated)})


async def customer_delete(request: web.Request) -> web.Response:
    _, client, body = _ctx(request)
    _need_write(client)
    vault = _vault(request)
    found = scoped_customer(vault, client, _field(body, "customer_id", str, required=True))
    force = _field(body, "force", bool, default=False)
    if not force and vault.entries(customer_ids=(found.id,)):
        raise ApiError("the customer still has entries", status=409, code="conflict")
    vault.remove_customer(found.id, force=force, actor=_actor(client))
    return respond({"deleted": True})


# ---- entry writes ------------------------------------------------------------------------------
def _entry_fields(client, body: dict) -> dict:
    fields = {
        "title": _field(body, "title", str),
        "username": _field(body, "username", str),
        "urls": _str_list(body, "urls"),
        "notes": _field(body, "notes", str),
        "tags": _str_list(body, "tags"),
    }
    sealed = _field(body, "password", str)
    if sealed is not None:
        fields["password"] = unseal_from(client, "entry-password", sealed)
    return {k: v for k, v in fields.items() if v is not None}


async def entry_create(request: web.Request) -> web.Response:
    _, client, body = _ctx(request)
    _need_write(client)
    vault = _vault(request)
    customer = scoped_customer(vault, client, _field(body, "customer_id", str, required=True))
    fields = _entry_fields(client, body)
    title = fields.pop("title", None)
    if title is None:
        raise ApiError("missing field 'title'")
    created = vault.add_entry(customer.id, title, **fields)
    return respond({"entry": created.public()})


async def entry_update(request: web.Request) -> web.Response:
    vault, client, found = _entry_of(request)
    _need_write(client)
    fields = _entry_fields(client, request["json"])
    target = _field(request["json"], "customer_id", str)
    if target is not None:
        fields["customer"] = scoped_customer(vault, client, target).id
        if _team(vault) and fields["customer"] != found.customer_id:
            from companion.server.team_ops import on_clone  # a move syncs in place first

            return respond({"entry": await on_clone(
                request.app[COMPANION], vault,
                lambda clone: clone.update_entry(found.id, **fields).public())})
    updated = vault.update_entry(found.id, **fields)
    return respond({"entry": updated.public()})


async def entry_delete(request: web.Request) -> web.Response:
    vault, client, found = _entry_of(request)
    _need_write(client)
    vault.remove_entry(found.id, actor=_actor(client))
    return respond({"deleted": True})


# ---- OTP ---------------------------------------------------------------------------------------
def _otp_params(client, body: dict):
    """The builder `otpc otp set` and the importers use (companion.otp_input), on unsealed input.
    `"force": true` is the CLI's --force: 4-5 digit codes and secrets under 80 bits. Without it
    such an OTP is refused as 400 `weak_otp`, so a client can ask the user and send it again."""
    force = _field(body, "force", bool, default=False)
    if body.get("uri") is not None:
        uri = unseal_from(client, "otp-uri", _field(body, "uri", str))
        build = partial(_from_uri, uri)
    else:
        sealed = _field(body, "secret", str)
        if sealed is None:
            raise ApiError("give 'secret' or 'uri'")
        build = partial(_from_fields, body, unseal_from(client, "otp-secret", sealed))
    try:
        return build(force)
    except UserError as refused:
        if force:
            raise
        try:  # refused only for being weak? Then say so, in the API's words.
            build(True)
        except UserError:
            raise refused from None
        raise ApiError(WEAK_FLAG.sub('send "force": true to accept', str(refused)),
                       code="weak_otp") from None


WEAK_FLAG = re.compile(r"use --force to accept")


def _from_uri(uri: str, force: bool):
    from companion.otpauth import parse_uri

    params, warnings = parse_uri(uri, force=force)
    return params, list(warnings)


def _from_fields(body: dict, secret: str, force: bool):
    from companion.otp_input import from_fields

    built = from_fields(
        secret,
        type=_field(body, "type", str),
        algorithm=_field(body, "algorithm", str),
        digits=_field(body, "digits", int),
        period=_field(body, "period", int),
        counter=_field(body, "counter", int),
        issuer=_field(body, "issuer", str),
        account=_field(body, "account", str),
        force=force,
    )
    return built.params, list(built.notes) + list(built.warnings)


async def otp_set(request: web.Request) -> web.Response:
    vault, client, found = _entry_of(request)
    _need_write(client)
    params, warnings = _otp_params(client, request["json"])
    updated = vault.set_otp(found.id, params, actor=_actor(client))
    return respond({"entry": updated.public(), "warnings": warnings})


async def otp_delete(request: web.Request) -> web.Response:
    vault, client, found = _entry_of(request)
    _need_write(client)
    vault.remove_otp(found.id, actor=_actor(client))
    return respond({"entry": vault.entry(found.id).public()})


# ---- audit -------------------------------------------------------------------------------------
async def audit(request: web.Request) -> web.Response:
    _, client, body = _ctx(request)
    vault = _vault(request)
    entry_id = _field(body, "entry_id", str)
    limit = _field(body, "limit", int, default=100)
    if not 1 <= limit <= 1000:
        raise ApiError("limit must be 1 to 1000")
    if entry_id is not None:
        entry_id = scoped_entry(vault, client, entry_id).id
    events = vault.audit(entry=entry_id)
    if client.scope.customers is not None:
        visible = {e.id for e in vault.entries(customer_ids=client.scope.customers)}
        events = [ev for ev in events if ev.entry_id in visible]
    return respond({"events": [ev.public() for ev in events[-limit:]]})


async def audit_record(request: web.Request) -> web.Response:
    vault, client, found = _entry_of(request)
    action = _field(request["json"], "action", str, required=True)
    if action not in ("fill", "copy"):
        raise ApiError("action must be 'fill' or 'copy'")
    vault.record_audit(action, entry=found.id, actor=_actor(client))
    return respond({"recorded": True})


# path -> (handler, needs write scope, summary); the openapi document is built from this table
ROUTES = {
    "/v1/status": (status, False, "Lock state, API version, server time, this client's scope"),
    "/v1/unlock": (unlock, False, "Unlock with the sealed master password"),
    "/v1/lock": (lock, False, "Lock the vault (drops keys from memory)"),
    "/v1/entries": (entries, False, "Entry metadata, filtered by site, search or customer"),
    "/v1/entry": (entry, False, "One entry's metadata"),
    "/v1/code": (code, False, "The current code of an entry (HOTP advances first)"),
    "/v1/password/reveal": (reveal_password, False, "An entry's password, sealed; audited"),
    "/v1/customers": (customers, False, "Customers in scope"),
    "/v1/customers/create": (customer_create, True, "Create a customer"),
    "/v1/customers/update": (customer_update, True, "Rename or annotate a customer"),
    "/v1/customers/delete": (customer_delete, True, "Delete a customer"),
    "/v1/entries/create": (entry_create, True, "Create an entry"),
    "/v1/entries/update": (entry_update, True, "Edit an entry"),
    "/v1/entries/delete": (entry_delete, True, "Delete an entry"),
    "/v1/otp/set": (otp_set, True, "Set an entry's OTP from a sealed secret or otpauth URI"),
    "/v1/otp/delete": (otp_delete, True, "Erase an entry's OTP secret for good"),
    "/v1/audit": (audit, False, "Audit events of entries in scope"),
    "/v1/audit/record": (audit_record, False, "Record a fill or copy done by the extension"),
}
