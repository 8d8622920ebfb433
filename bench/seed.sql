-- Seeds the benchmark database for bench/run: 10,000 users, 100,000 posts and 1,000,000
-- votes, all with set-based SQL (generate_series), in a few seconds.
--
--   psql -v ON_ERROR_STOP=1 -v users=10000 -v posts=100000 -v votes=1000000 -f bench/seed.sql URL
--
-- Expects the migrations applied and exactly one user already: user1@bench.example, created
-- through the API so that its password hash is a real argon2id one. Every seeded user
-- (user2..userN@bench.example) reuses that hash, so they all log in with the same password.
--
-- Posts: titles and contents are built from word lists. Each post has one of 33 topics, one of
-- which is "Rust", and about 1% more mention Rust in passing, so a search for 'rust' matches a
-- few percent of the posts (no other word contains that substring). created_at is spread over
-- the past year in id order, as a real table fills up; ~5% are drafts (unpublished).
-- Votes: distinct (user, post) pairs with a skew towards older posts, inserted with the counting
-- triggers disabled; posts.votes is then set from one count(*) per post.
-- Speed: the secondary indexes of posts and votes (GIN trigram ones included) and their foreign
-- keys are dropped for the load and recreated afterwards from their exact definitions, as the
-- migrations made them: one index build, and one validating join per foreign key, are far faster
-- than row-by-row maintenance and 2M per-row checks. Everything is one transaction; a vacuum
-- then clears the dead rows left by the votes update and refreshes the statistics.
-- The same data on every run: random() is seeded.

\set ON_ERROR_STOP on
set client_min_messages = warning;
-- The GIN trigram builds sort their entries in this memory: with 256MB, 10M posts' content index
-- took ~9 of the ~22 minutes of seeding (with a build running beside it). 1GB leaves them more
-- room; the machine has plenty.
set maintenance_work_mem = '1GB';
set work_mem = '128MB';
select setseed(0.4242);

do $$ begin
    if (select count(*) from users) <> 1 then
        raise exception 'expected exactly one user (created through the API) before seeding, found %',
            (select count(*) from users);
    end if;
end $$;

begin;

-- Users 2..N, with user1's hash.
insert into users (email, password_hash, created_at)
select 'user' || n || '@bench.example',
       (select password_hash from users order by id limit 1),
       now() - interval '400 days' + n * interval '50 minutes'
from generate_series(2, :users) as n
order by n;

select min(id) as user_min, max(id) as user_max from users \gset

-- Secondary indexes and foreign keys off during the load, saved to be recreated below.
create temporary table deferred_ddl on commit drop as
    select format('drop index %I', i.indexname) as drop_sql, i.indexdef as create_sql
    from pg_indexes as i
    where i.schemaname = 'public' and i.tablename in ('posts', 'votes')
      and not exists (select 1 from pg_constraint as c where c.conname = i.indexname)
    union all
    select format('alter table %s drop constraint %I', c.conrelid::regclass, c.conname),
           format('alter table %s add constraint %I %s', c.conrelid::regclass, c.conname,
                  pg_get_constraintdef(c.oid))
    from pg_constraint as c
    where c.contype = 'f' and c.conrelid in ('posts'::regclass, 'votes'::regclass);
select drop_sql from deferred_ddl \gexec

insert into posts (title, content, published, created_at, updated_at, owner_id)
select format(v.templates[1 + floor(random() * cardinality(v.templates))::int],
              v.topics[g.topic],
              v.words[1 + floor(random() * cardinality(v.words))::int]),
       -- 2 to 6 sentences of 6 to 15 words; the second one is about the topic.
       (select string_agg(upper(left(sentence, 1)) || substr(sentence, 2) || '.', ' ' order by s)
               -- About 1% more mention Rust in passing (the search matches contents too).
               || case when g.n % 97 = 0
                       then ' Somebody at work keeps suggesting we rewrite it in Rust.' else '' end
        from (select s,
                     case when s = 2
                          then format(v.about[1 + floor(random() * cardinality(v.about))::int],
                                      v.topics[g.topic])
                          -- (w * 0 ties the aggregate to this level, not the outer query)
                          else (select string_agg(v.words[1 + floor(random() * cardinality(v.words))::int + w * 0], ' ')
                                from generate_series(1, 6 + (g.n + s) % 10) as w)
                     end as sentence
              from generate_series(1, 2 + g.n % 5) as s) as sentences),
       random() >= 0.05,
       g.created_at,
       g.created_at,
       :user_min + floor(random() * (:user_max - :user_min + 1))::bigint
from (select n,
             1 + floor(random() * 33)::int as topic,
             now() - interval '365 days' * (1 - n::float8 / :posts) - random() * interval '30 minutes'
                 as created_at
      from generate_series(1, :posts) as n) as g
cross join (select
    array['Rust', 'PostgreSQL', 'Linux', 'Python', 'gardening', 'sourdough', 'chess', 'cycling',
          'jazz', 'photography', 'climbing', 'coffee', 'typography', 'databases', 'WebAssembly',
          'Kubernetes', 'bird watching', 'woodworking', 'knitting', 'running', 'astronomy',
          'board games', 'cooking', 'travel', 'music theory', 'film', 'poetry', 'home networking',
          'keyboards', 'productivity', 'language learning', 'history', 'mathematics'] as topics,
    array['Notes on %s: the %s part', 'Why I switched to %s (%s edition)',
          'A gentle introduction to %s, %s first', '%s in production: %s lessons',
          'Ten things about %s and one %s', 'Debugging %s at night: a %s story',
          'What %s taught me about the %s', 'My %s setup, %s included', '%s: the %s guide',
          'Weekly %s thread: %s', 'Is %s worth it? A %s view', 'Getting started with %s, %s and all']
        as templates,
    array['I have been spending a lot of time on %s lately',
          'the %s community was more helpful than I expected',
          'honestly %s is harder than it looks',
          'my friends keep asking me about %s',
          'after a year of %s I would do a few things differently',
          'the best resource on %s I found was an old book'] as about,
    array['the', 'a', 'and', 'of', 'to', 'in', 'is', 'it', 'that', 'was', 'for', 'on', 'with',
          'as', 'my', 'this', 'at', 'by', 'from', 'we', 'they', 'you', 'but', 'not', 'or', 'have',
          'had', 'will', 'would', 'can', 'could', 'should', 'about', 'after', 'before', 'again',
          'every', 'never', 'always', 'today', 'yesterday', 'tomorrow', 'morning', 'evening',
          'weekend', 'project', 'idea', 'question', 'answer', 'problem', 'solution', 'simple',
          'quick', 'slow', 'small', 'large', 'early', 'late', 'new', 'old', 'good', 'bad', 'better',
          'best', 'first', 'last', 'next', 'long', 'short', 'week', 'month', 'year', 'day', 'night',
          'time', 'people', 'team', 'friend', 'city', 'house', 'garden', 'kitchen', 'office',
          'train', 'bike', 'river', 'mountain', 'forest', 'ocean', 'window', 'table', 'chair',
          'letter', 'story', 'book', 'song', 'picture', 'map', 'road', 'bridge', 'market', 'bread',
          'tea', 'rain', 'snow', 'sun', 'wind', 'cloud', 'light', 'dark', 'green', 'blue', 'red',
          'yellow', 'quiet', 'loud', 'happy', 'tired', 'curious', 'careful', 'strange', 'useful',
          'plain', 'honest', 'finally', 'maybe', 'really', 'learned', 'tried', 'built', 'wrote',
          'read', 'found', 'lost', 'fixed', 'broke', 'started', 'finished', 'changed', 'moved',
          'shared', 'noticed', 'measured', 'compared', 'released', 'planned', 'cooked', 'walked',
          'listened', 'watched', 'server', 'client', 'query', 'index', 'cache', 'compiler',
          'editor', 'terminal', 'memory', 'thread', 'network', 'browser', 'library', 'framework',
          'benchmark', 'release', 'version', 'feature', 'bug', 'patch', 'test', 'deploy', 'config',
          'package', 'module', 'function', 'struct', 'trait', 'macro', 'pointer', 'borrow',
          'lifetime', 'async', 'await', 'future', 'stream', 'socket', 'schema', 'migration',
          'vacuum', 'replica', 'backup', 'kernel', 'shell', 'script'] as words) as v
order by g.n;

select min(id) as post_min, max(id) as post_max from posts \gset

-- Votes: 5% more candidate pairs than needed, duplicates removed, the first N kept.
alter table votes disable trigger user;
insert into votes (user_id, post_id, created_at)
select user_id, post_id, now() - random() * interval '300 days'
from (select distinct
             :user_min + floor(random() * (:user_max - :user_min + 1))::bigint as user_id,
             :post_min + floor(power(random(), 2) * (:post_max - :post_min + 1))::bigint as post_id
      from generate_series(1, (:votes * 1.05)::bigint)
      limit :votes) as pairs
order by user_id, post_id;
alter table votes enable trigger user;

update posts as p set votes = c.n
from (select post_id, count(*)::int as n from votes group by post_id) as c
where c.post_id = p.id;

select create_sql from deferred_ddl \gexec

commit;

vacuum (analyze) users, posts, votes, refresh_tokens;
