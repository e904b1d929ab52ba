-- Who a verified identity is: the record with that email or id, or the record an admin linked
-- the address to (EmailAlias), following a merge to the record that absorbed it. One definition
-- for the chat, its tools' views and the admin reads. A STABLE SQL function, which PostgreSQL
-- inlines into the statement that calls it.
CREATE FUNCTION "identified_customer"(email text, id text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT COALESCE(
    (SELECT COALESCE(c."mergedIntoId", c.id) FROM "Customer" c WHERE c.email = $1 OR c.id = $2),
    (SELECT alias."customerId" FROM "EmailAlias" alias WHERE alias.email = $1))
$$;
