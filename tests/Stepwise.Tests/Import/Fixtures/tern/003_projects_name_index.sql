---- tern: disable-tx ----
create index concurrently if not exists projects_name_idx on projects (name);

---- create above / drop below ----

drop index if exists projects_name_idx;
