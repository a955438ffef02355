"""The vault of a team member: local customers and entries as always, plus the team's from the
replica (team/view.py), through the same Vault API, so the CLI, the companion's HTTP API, site
matching and the extension treat both alike. Writes to a team entry go to the team (actions.py);
what the member's role does not allow raises Forbidden (exit 6, HTTP 403).

`Vault.open` returns this class; with no team in the file it behaves exactly like Vault.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace

from companion.errors import Forbidden, NotFound, UserError
from companion.team import actions
from companion.team.view import TeamCustomer, TeamEntry, TeamView, build, update
from companion.vault import sites
from companion.vault import team_store as T
from companion.vault.validate import clean_name, clean_text, clean_urls, haystack, shown
from companion.vault.vault import Vault


class TeamVault(Vault):
    def __init__(self, store):
        super().__init__(store)
        self._team = None
        self._team_version: int | None = None
        self._view: tuple[tuple, TeamView] | None = None
        store.on_rollback.append(self._forget_team)

    def _forget_team(self) -> None:
        """A write rolled back: queued edits made inside it are gone from the file, so the session
        is read again rather than pushing what was never saved."""
        self._team, self._team_version, self._view = None, None, None

    @contextmanager
    def batch(self) -> Iterator[Vault]:
        with super().batch() as vault:
            yield vault
        session = self.team()
        if session is not None and session.outbox.pending:
            from companion.team.actions import _after_write

            _after_write(session)

    @classmethod
    def upgrade(cls, vault: Vault) -> TeamVault:
        """The same open vault (keys, caches, store) as a TeamVault: for `otpc team create|join`
        on a vault that `Vault.open` returned as a plain one (no team then)."""
        if not isinstance(vault, cls):
            vault.__class__ = cls
            vault._forget_team()
            vault.store.on_rollback.append(vault._forget_team)
        return vault

    # -- the session -----------------------------------------------------------------------------

    def team_store(self) -> T.TeamStore:
        return T.TeamStore(self.store, self.vault_id, self._r.need())

    def team(self):
        """The team session, or None (no team, or locked). Reloaded when another process wrote
        the vault (PRAGMA data_version), e.g. `otpc team sync` while the companion runs."""
        if self.is_locked:
            return None
        version = self.store.data_version()
        if self._team_version != version:
            from companion.team.session import TeamSession

            self._team_version = version
            self._team = TeamSession.load(self.team_store()) if T.has_team(self.store) else None
        return self._team

    def set_team(self, session) -> None:
        self._team, self._team_version = session, self.store.data_version()

    def need_team(self):
        session = self.team()
        if session is None:
            self._r.need()
            raise UserError("this vault belongs to no team (otpc team create / otpc team join)")
        return session

    def team_view(self) -> TeamView | None:
        session = self.team()
        if session is None:
            return None
        key = (session, session.generation, session.replica.statement_seq)
        if self._view is None or self._view[0][0] is not session \
                or self._view[0][2] != key[2]:
            session.take_changed()
            self._view = (key, build(session))
        elif self._view[0][1] != key[1]:
            # same session and roles: only the records changed since are rebuilt
            self._view = (key, update(self._view[1], session, session.take_changed()))
        return self._view[1]

    def lock(self) -> None:
        super().lock()
        self._team, self._team_version, self._view = None, None, None

    # -- reading ---------------------------------------------------------------------------------

    def _team_snapshot(self):
        view = self.team_view()
        return view.snapshot if view else None

    def customers(self):
        local = super().customers()
        snap = self._team_snapshot()
        if snap is None:
            return local
        return sorted(local + list(snap.customers.values()),
                      key=lambda c: (c.name.casefold(), c.id))

    def customer(self, ref: str):
        try:
            return super().customer(ref)
        except NotFound:
            snap = self._team_snapshot()
            found = snap.find_customer(ref) if snap else None
            if found is None:
                raise
            return found

    def entry(self, ref: str):
        try:
            return super().entry(ref)
        except NotFound:
            snap = self._team_snapshot()
            found = snap.find_entry(ref) if snap else None
            if found is None:
                raise
            return found

    def entries(self, *, customer: str | None = None, search: str | None = None,
                customer_ids: Collection[str] | None = None):
        snap = self._team_snapshot()
        found = list(self._r.snapshot().entries.values())
        if snap is not None:
            found += list(snap.entries.values())
        if customer is not None:
            cid = self.customer(customer).id
            found = [e for e in found if e.customer_id == cid]
        if customer_ids is not None:
            allowed = set(customer_ids)
            found = [e for e in found if e.customer_id in allowed]
        if search:
            needle = search.casefold()
            found = [e for e in found if needle in haystack(e)]
        return sorted(found, key=lambda e: (e.customer.casefold(), e.title.casefold(), e.id))

    def entries_for_site(self, url_or_host: str, *, customer_ids: Collection[str] | None = None):
        found = super().entries_for_site(url_or_host, customer_ids=customer_ids)
        snap, key = self._team_snapshot(), sites.site_key(url_or_host)
        if snap is None or not key:
            return found
        team = snap.entries_at_site(key)
        if customer_ids is not None:
            team = [e for e in team if e.customer_id in set(customer_ids)]
        return sorted(found + team, key=lambda e: (e.customer.casefold(), e.title.casefold(), e.id))

    def _name_taken(self, name: str, but: str | None = None) -> bool:
        snap = self._team_snapshot()
        found = snap.customer_named(name) if snap else None
        return super()._name_taken(name, but) or (found is not None and found.id != but)

    # -- customers -------------------------------------------------------------------------------

    def add_customer(self, name: str, notes: str = "", *, local: bool = False):
        """In a team vault a new customer is a team customer (admins only), unless `local`."""
        session = self.team()
        if session is None or local:
            return super().add_customer(name, notes)
        from companion.team import access

        name = clean_name(name, "customer name")
        if self._name_taken(name):
            raise UserError(f"a customer named {shown(name)} already exists")
        cid = access.add_customer(session, name, clean_text(notes, "notes"))
        return self.customer(cid)

    def update_customer(self, ref: str, *, name: str | None = None, notes: str | None = None):
        cust = self.customer(ref)
        if not isinstance(cust, TeamCustomer):
            return super().update_customer(ref, name=name, notes=notes)
        from companion.team import moves

        if name is not None:
            name = clean_name(name, "customer name")
            if self._name_taken(name, but=cust.id):
                raise UserError(f"a customer named {shown(name)} already exists")
        notes = None if notes is None else clean_text(notes, "notes")
        moves.rename_customer(self.need_team(), self.team_view(), cust, name, notes)
        return self.customer(cust.id)

    def remove_customer(self, ref: str, *, force: bool = False, actor: str = "cli") -> None:
        cust = self.customer(ref)
        if not isinstance(cust, TeamCustomer):
            return super().remove_customer(ref, force=force, actor=actor)
        owned = self.entries(customer_ids=(cust.id,))
        if owned and not force:
            raise UserError(f"customer {shown(cust.name)} has {len(owned)} entries: remove them "
                            "first, or use --force to remove them too")
        actions.need(TeamEntry("", cust.id, cust.name, "", can=cust.can), "delete")
        for e in owned:
            self.remove_entry(e.id, actor=actor)
        session = self.need_team()
        actions._queue(session, cust.id, "tombstone", f"{cust.id}/", None)
        actions._after_write(session)

    def rotate_customer_key(self, ref: str) -> int:
        if isinstance(self.customer(ref), TeamCustomer):
            raise UserError("team customers rotate with the team (otpc team member revoke)")
        return super().rotate_customer_key(ref)

    # -- entries ---------------------------------------------------------------------------------

    def add_entry(self, customer: str, title: str, **fields):
        cust = self.customer(customer)
        if not isinstance(cust, TeamCustomer):
            return super().add_entry(customer, title, **fields)
        title = clean_name(title, "title")
        if self._team_snapshot().entry_titled(cust.id, title):
            raise UserError(f"customer {shown(cust.name)} already has an entry {shown(title)}")
        content = {"title": title, "username": clean_text(fields.get("username", ""), "username"),
                   "password": clean_text(fields.get("password", ""), "password"),
                   "urls": list(clean_urls(fields.get("urls", ()))),
                   "notes": clean_text(fields.get("notes", ""), "notes"),
                   "tags": [clean_text(t, "tag") for t in fields.get("tags", ())]}
        rid = actions.add_entry(self.need_team(), cust.can, cust.id, content)
        return self.entry(rid)

    def update_entry(self, ref: str, **fields):
        from companion.team import moves

        entry = self.entry(ref)
        target = fields.pop("customer", None)
        dest = None
        if target is not None:
            try:
                dest = self.customer(target)
            except NotFound:
                if not isinstance(entry, TeamEntry):
                    raise
                # the same line whether it exists outside the member's role or not at all
                raise Forbidden(f"no customer {shown(target)} your team role may move "
                                f"{entry.ref} to") from None
        if dest is not None and dest.id == entry.customer_id:
            dest = None
        if not isinstance(entry, TeamEntry):
            if "group" in fields:
                raise UserError("only team entries have a Password Access Group")
            if isinstance(dest, TeamCustomer):
                return self._local_into_team(entry, dest, fields)
            return super().update_entry(ref, customer=target, **fields)
        group = fields.pop("group", None)
        changes = {k: v for k, v in fields.items() if v is not None}
        view = self.team_view()
        title = clean_name(changes["title"], "title") if "title" in changes else entry.title
        if isinstance(dest, TeamCustomer):  # refused before anything is written
            moves.check_team_move(view, entry, dest)
        elif dest is not None:
            moves.check_leave_team(view, entry)
        if dest is not None and self._title_in(dest, title, entry.id):
            raise UserError(f"that customer already has an entry {shown(title)}")
        if changes:
            if "title" in changes:
                changes["title"] = title
            if "urls" in changes:
                changes["urls"] = clean_urls(changes["urls"])
            for k in ("username", "password", "notes"):
                if k in changes:
                    changes[k] = clean_text(changes[k], k)
            if "tags" in changes:
                changes["tags"] = tuple(clean_text(t, "tag") for t in changes["tags"])
            updated = replace(entry, **changes)
            content = updated.content()
            content.pop("otp", None)
            actions.update_entry(self.need_team(), entry, content)
        if isinstance(dest, TeamCustomer):
            moves.move_entry(self.need_team(), self.team_view(), self.entry(entry.id), dest)
        elif dest is not None:
            return self._team_to_local(self.entry(entry.id), dest)
        if group is not None:
            self._move_to_group(entry, group)
        return self.entry(entry.id)

    def _title_in(self, dest, title: str, but: str) -> bool:
        snap = self._team_snapshot() if isinstance(dest, TeamCustomer) else self._r.snapshot()
        found = snap.entry_titled(dest.id, title)
        return found is not None and found.id != but

    def _local_into_team(self, entry, dest: TeamCustomer, fields: dict):
        """A local entry (with its OTP secret) into a team customer: `edit` there."""
        from companion.team import moves

        if "edit" not in dest.can:  # checked before the local edit below is written
            raise Forbidden(f"your team role may not add entries to {shown(dest.name)}")
        title = entry.title if fields.get("title") is None else clean_name(fields["title"],
                                                                            "title")
        if self._title_in(dest, title, entry.id):
            raise UserError(f"that customer already has an entry {shown(title)}")
        if any(v is not None for v in fields.values()):
            entry = super().update_entry(entry.id, **fields)
        params = Vault.otp_params(self, entry.id, reason="team move") if entry.has_otp else None
        content = entry.content()
        content.pop("otp", None)
        with self.batch():  # queued and removed locally together; pushed when it commits
            moves.queue_into_team(self.need_team(), dest, entry.id, content, params)
            Vault.remove_entry(self, entry.id)
        return self.entry(entry.id)

    def _team_to_local(self, entry: TeamEntry, dest):
        """A team entry into a local customer: it leaves the team (`reveal` and `delete`)."""
        from companion.otp import OtpParams
        from companion.team import moves

        session, view = self.need_team(), self.team_view()
        moves.check_leave_team(view, entry)
        params = None
        if entry.id in view.otps:
            otp_rid, raw = view.otps[entry.id]
            params = OtpParams(**raw)
            if params.type == "hotp":
                params = replace(params, counter=moves.hotp_counter_now(session, otp_rid,
                                                                         params.counter))
        with self.batch():  # the local copy and the team's tombstones commit together
            new = Vault.add_entry(self, dest.id, entry.title, username=entry.username,
                                  password=entry.password, urls=entry.urls, notes=entry.notes,
                                  tags=entry.tags, otp=params)
            session.audit("reveal", entry.id, entry.customer_id)
            actions.remove_entry(session, view, entry)
        return self.entry(new.id)

    def _move_to_group(self, entry: TeamEntry, group: str) -> None:
        from companion.team import access

        view = self.team_view()
        rids = [entry.id] + [rid for rid, (kind, _u, c) in view.records.items()
                             if kind == "otp" and c.get("entry") == entry.id]
        access.move_to_group(self.need_team(), rids, group)

    def remove_entry(self, ref: str, *, actor: str = "cli") -> None:
        entry = self.entry(ref)
        if not isinstance(entry, TeamEntry):
            return super().remove_entry(ref, actor=actor)
        actions.remove_entry(self.need_team(), self.team_view(), entry)

    # -- OTP -------------------------------------------------------------------------------------

    def set_otp(self, ref: str, params, *, actor: str = "cli"):
        entry = self.entry(ref)
        if not isinstance(entry, TeamEntry):
            return super().set_otp(ref, params, actor=actor)
        params = params.checked()
        if not params.secret:
            raise UserError("an OTP needs a secret")
        actions.set_otp(self.need_team(), self.team_view(), entry, params)
        return self.entry(entry.id)

    def remove_otp(self, ref: str, *, actor: str = "cli") -> bool:
        entry = self.entry(ref)
        if not isinstance(entry, TeamEntry):
            return super().remove_otp(ref, actor=actor)
        actions.remove_otp(self.need_team(), self.team_view(), entry)
        return True

    def code(self, ref, *, at: float | None = None, actor: str = "cli"):
        entry = ref if isinstance(ref, TeamEntry) else self.entry(ref) if isinstance(ref, str) \
            else ref
        if not isinstance(entry, TeamEntry):
            return super().code(entry, at=at, actor=actor)
        return actions.code(self.need_team(), self.team_view(), entry, at)

    def reveal_password(self, ref: str, *, actor: str = "cli") -> str:
        entry = self.entry(ref)
        if not isinstance(entry, TeamEntry):
            return super().reveal_password(ref, actor=actor)
        return actions.reveal_password(self.need_team(), entry)

    def otp_params(self, ref: str, *, actor: str = "cli", reason: str = "export"):
        entry = self.entry(ref)
        if not isinstance(entry, TeamEntry):
            return super().otp_params(ref, actor=actor, reason=reason)
        return actions.otp_params(self.need_team(), self.team_view(), entry)

    # -- import and export (otpc import / export) ------------------------------------------------

    def all_otp_params(self):
        """Local and team OTPs by entry id, for the import duplicate check only (not shown)."""
        from companion.otp import OtpParams

        found = super().all_otp_params()
        view = self.team_view()
        for eid, (_rid, raw) in (view.otps if view else {}).items():
            found.setdefault(eid, OtpParams(**raw))
        return found

    def add_entries(self, new, *, actor: str = "cli") -> int:
        """Vault.add_entries, where entries of team customers become team records (`edit`
        needed, else Forbidden before anything is written): queued in this transaction, pushed
        when the batch commits (TeamVault.batch)."""
        from companion.team import transfer

        snap = self._team_snapshot()
        team = {i for i, f in enumerate(new) if snap is not None and f["customer"] in snap.customers}
        if not team:
            return super().add_entries(new, actor=actor)
        records = transfer.team_entries(snap, [(i, new[i]) for i in sorted(team)])
        local = [i for i in range(len(new)) if i not in team]
        if local:
            from companion.vault.vault import EntryRefused

            try:
                super().add_entries([new[i] for i in local], actor=actor)
            except EntryRefused as exc:
                raise EntryRefused(local[exc.index], str(exc)) from None
        transfer.queue_entries(self.need_team(), records)
        return len(new)

    def push_team(self) -> None:
        """Push queued edits and audit rows now (e.g. an export's reveals) if the database
        answers; offline they stay queued for the next sync."""
        session = self.team()
        if session is not None and (session.outbox.pending or session.audit_queue):
            actions._after_write(session)
