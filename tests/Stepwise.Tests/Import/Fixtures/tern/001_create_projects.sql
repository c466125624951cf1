-- Projects, and a function that names them.
create table projects (
    id bigint generated always as identity primary key,
    name text not null,
    created_at timestamptz not null default now()
);

create function project_label(p projects) returns text language plpgsql as $$
begin
    return p.id || ': ' || p.name;
end;
$$;

---- create above / drop below ----

drop function project_label(projects);
drop table projects;
