import { quoteIdent } from './hive-types';
import { TokenCursor, tokenize } from './sql-tokenizer';
import {
  ddlOutcome,
  fail,
  openSandbox,
  type RunContext,
  type RunOutcome,
  refuseResultsLocation,
  relationExists,
  requireDatabase,
  requireTable,
} from './statement-context';
import type { AthenaStatement } from './statements';
import { specFromCreate } from './tables';
import { translateQuery } from './translate';
import { prepareUserQuery } from './user-sql';

/** The DDL statements of the catalog (views are `engine` statements: runViewDdl). */
export type DdlStatement = Extract<
  AthenaStatement,
  {
    kind:
      | 'createExternalTable'
      | 'createDatabase'
      | 'dropDatabase'
      | 'dropTable'
      | 'repairTable'
      | 'alterPartitions';
  }
>;

/** CREATE EXTERNAL TABLE, CREATE and DROP DATABASE, DROP TABLE, MSCK REPAIR TABLE and ALTER TABLE ... PARTITION. */
export async function runDdl(ctx: RunContext, s: DdlStatement): Promise<RunOutcome> {
  switch (s.kind) {
    case 'createExternalTable': {
      ctx.onEngineStart();
      const database = s.table.database ?? ctx.database;
      await requireDatabase(ctx, database, true);
      const spec = specFromCreate(s, database);
      refuseResultsLocation(ctx, spec.location, true);
      await ctx.engine.exclusive(async () => {
        if (await relationExists(ctx, database, spec.name)) {
          if (s.ifNotExists) return;
          throw fail('ALREADY_EXISTS', `Table ${database}.${spec.name} already exists`, true);
        }
        await ctx.engine.registerTable(spec);
      });
      return ddlOutcome(ctx);
    }
    case 'createDatabase':
      ctx.onEngineStart();
      await ctx.engine.exclusive(async () => {
        if (await ctx.engine.databaseExists(s.name)) {
          if (s.ifNotExists) return;
          throw fail('ALREADY_EXISTS', `Database ${s.name} already exists`, true);
        }
        await ctx.engine.createDatabase(s.name);
      });
      return ddlOutcome(ctx);
    case 'dropDatabase':
      ctx.onEngineStart();
      await ctx.engine.exclusive(async () => {
        if (!(await ctx.engine.databaseExists(s.name))) {
          if (s.ifExists) return;
          throw fail('SCHEMA_NOT_FOUND', `Database ${s.name} does not exist`, true);
        }
        if (s.name === 'default') throw fail('INVALID_INPUT', 'Can not drop default database', true);
        if (!s.cascade && (await ctx.engine.relations(s.name)).length > 0) {
          throw fail('INVALID_INPUT', `Database ${s.name} is not empty. One or more tables exist.`, true);
        }
        await ctx.engine.dropDatabase(s.name);
      });
      return ddlOutcome(ctx);
    case 'dropTable': {
      ctx.onEngineStart();
      const database = s.table.database ?? ctx.database;
      await ctx.engine.exclusive(async () => {
        if (ctx.engine.table(database, s.table.name)) {
          await ctx.engine.dropTable(database, s.table.name);
        } else if (ctx.engine.view(database, s.table.name)) {
          throw fail(
            'INVALID_INPUT',
            `Cannot drop a view with DROP TABLE: use DROP VIEW ${s.table.name}`,
            true,
          );
        } else if (!s.ifExists) {
          throw fail('TABLE_NOT_FOUND', `Table ${database}.${s.table.name} does not exist`, true);
        }
      });
      return ddlOutcome(ctx);
    }
    case 'repairTable':
    case 'alterPartitions':
      // Partitions are read from hive-style paths at query time: there is nothing to register.
      ctx.onEngineStart();
      requireTable(ctx, s.table);
      return ddlOutcome(ctx);
  }
}

/** CREATE [OR REPLACE] VIEW and DROP VIEW: views are stored in the catalog and built in every sandbox. */
export async function runViewDdl(ctx: RunContext, sql: string): Promise<RunOutcome> {
  const cursor = new TokenCursor(sql, tokenize(sql));
  const creating = cursor.acceptWords('CREATE');
  const replace = creating && cursor.acceptWords('OR', 'REPLACE');
  if (!creating) cursor.expectWords('DROP');
  cursor.expectWords('VIEW');
  const ifExists = !creating && cursor.acceptWords('IF', 'EXISTS');
  const parts = [cursor.expectIdentifier('a view name').toLowerCase()];
  while (cursor.acceptPunct('.')) parts.push(cursor.expectIdentifier('a view name').toLowerCase());
  if (parts.length === 3 && parts[0] === 'awsdatacatalog') parts.shift();
  if (parts.length > 2) throw fail('SYNTAX_ERROR', `Too many parts in view name ${parts.join('.')}`, true);
  const database = parts.length === 2 ? parts[0] : ctx.database;
  const name = parts[parts.length - 1];
  await requireDatabase(ctx, database, true);
  if (!creating) {
    cursor.expectEnd();
    ctx.onEngineStart();
    await ctx.engine.exclusive(async () => {
      if (ctx.engine.table(database, name))
        throw fail('INVALID_INPUT', `${database}.${name} is a table: use DROP TABLE`, true);
      if (!ctx.engine.view(database, name)) {
        if (ifExists) return;
        throw fail('TABLE_NOT_FOUND', `View ${database}.${name} does not exist`, true);
      }
      await ctx.engine.dropView(database, name);
    });
    return ddlOutcome(ctx);
  }
  // Trino's COMMENT and SECURITY clauses have no local effect.
  if (cursor.acceptWords('COMMENT')) cursor.next();
  if (cursor.acceptWords('SECURITY')) cursor.next();
  cursor.expectWords('AS');
  const queryOffset = cursor.position;
  const translation = translateQuery(sql.slice(queryOffset), [], queryOffset);
  // The query passes the checks of any query (and binds) before it is stored.
  const box = await openSandbox(ctx);
  const prepared = await prepareUserQuery(box, { ...translation, userSql: ctx.userSql });
  prepared.destroySync();
  ctx.onEngineStart();
  await ctx.engine.exclusive(async () => {
    if (ctx.engine.table(database, name))
      throw fail('INVALID_INPUT', `Table ${database}.${name} already exists`, true);
    if (ctx.engine.view(database, name) && !replace)
      throw fail('ALREADY_EXISTS', `View ${database}.${name} already exists`, true);
    await ctx.engine.saveView({
      database,
      name,
      sql: `CREATE VIEW ${quoteIdent(database)}.${quoteIdent(name)} AS\n${translation.sql}`,
      text: ctx.userSql.trim().replace(/;\s*$/, ''),
    });
  });
  return ddlOutcome(ctx);
}
