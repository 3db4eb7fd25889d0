import { sql, type Kysely } from 'kysely';

/*
 * item_bands (four rows an item: its SimHash blocks) and ungrouped_items (one row an item until
 * it is grouped) are derived from items and followed them by foreign keys, for the cascade on
 * delete. Each key's check ran for every row written: five an item stored, 86% of an ingest's
 * foreign-key checks (~4% of PostgreSQL's CPU at 1,000 feeds, docs/benchmarks.md, session 17).
 * The cascade is one statement trigger now, run once for each DELETE of items (retention's
 * batches, a feed's removal cascading to its items). A band filed for an item deleted while its
 * grouping batch ran is left behind: grouping's look-ups read items, which no longer has it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE item_bands DROP CONSTRAINT item_bands_item_id_fkey`.execute(db);
  await sql`ALTER TABLE ungrouped_items DROP CONSTRAINT ungrouped_items_item_id_fkey`.execute(db);
  await sql`
    CREATE FUNCTION delete_derived_item_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM item_bands b USING gone g WHERE b.item_id = g.id;
      DELETE FROM ungrouped_items u USING gone g WHERE u.item_id = g.id;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER items_delete_derived_rows AFTER DELETE ON items
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION delete_derived_item_rows()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER items_delete_derived_rows ON items`.execute(db);
  await sql`DROP FUNCTION delete_derived_item_rows()`.execute(db);
  await sql`DELETE FROM item_bands b WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = b.item_id)`.execute(db);
  await sql`DELETE FROM ungrouped_items u WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = u.item_id)`.execute(db);
  await sql`ALTER TABLE item_bands ADD CONSTRAINT item_bands_item_id_fkey FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE`.execute(
    db,
  );
  await sql`ALTER TABLE ungrouped_items ADD CONSTRAINT ungrouped_items_item_id_fkey FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE`.execute(
    db,
  );
}
