revoke temporary on database "retail_warehouse" from public;
revoke temporary on database "retail_warehouse" from "bi_reader";
grant usage on schema "marts" to "bi_reader";
grant select on all tables in schema "marts" to "bi_reader";
grant usage on schema "ml" to "bi_reader";
grant select on all tables in schema "ml" to "bi_reader"