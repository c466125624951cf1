create table settings (key text primary key, value text not null);
insert into settings values ('theme', 'dark');
