-- Logging out ends the session's access tokens at once, not when they expire.
--
-- The access tokens Postboard issues name their session: the refresh-token family they were
-- issued with (claim `sid`). A session is live while one of its refresh tokens is unrevoked;
-- logout and the reuse of an old refresh token revoke them all. live_viewer is the check every
-- statement that identifies its caller makes, in that same statement (no extra round trip): the
-- user's id when the user exists and, for a token that names a session, the session is live;
-- null otherwise. Tokens minted by the original app name no session and are checked against the
-- user alone. A plain SQL function, so the planner inlines it into the calling statement.
create function live_viewer(viewer bigint, session uuid)
returns bigint
language sql
stable
as $$
    select u.id
    from users u
    where u.id = viewer
      and (session is null
           or exists (select 1 from refresh_tokens t
                      where t.family_id = session and t.revoked_at is null))
$$;

-- The live tokens of a family, found without visiting the revoked ones.
create index refresh_tokens_live_family_idx on refresh_tokens (family_id) where revoked_at is null;
