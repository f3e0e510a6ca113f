import { visibleFiles } from './files';
import { duckDbToHive, hiveTypeText, quoteIdent } from './hive-types';
import {
  fail,
  openSandbox,
  type RunContext,
  type RunOutcome,
  requireDatabase,
  requireTable,
  utilityOutcome,
} from './statement-context';
import { type AthenaStatement, hivePatternMatcher, type QualifiedName } from './statements';
import { type ColumnSpec, showCreateTable } from './tables';

/** The utility statements that read the catalog and answer text rows. */
export type UtilityStatement = Extract<
  AthenaStatement,
  {
    kind:
      | 'showTables'
      | 'showDatabases'
      | 'showColumns'
      | 'describe'
      | 'showCreateTable'
      | 'showPartitions'
      | 'showTblProperties';
  }
>;

/** SHOW TABLES, SHOW DATABASES, SHOW COLUMNS, DESCRIBE, SHOW CREATE TABLE, SHOW PARTITIONS, SHOW TBLPROPERTIES. */
export async function runUtility(ctx: RunContext, s: UtilityStatement): Promise<RunOutcome> {
  switch (s.kind) {
    case 'showTables': {
      ctx.onEngineStart();
      const database = s.database ?? ctx.database;
      await requireDatabase(ctx, database, false);
      const matches = hivePatternMatcher(s.pattern);
      const names = (await ctx.engine.relations(database))
        .filter((r) => (!s.viewsOnly || r.kind === 'view') && matches(r.name))
        .map((r) => r.name);
      return utilityOutcome(ctx, s.viewsOnly ? 'views' : 'tab_name', names);
    }
    case 'showDatabases': {
      ctx.onEngineStart();
      const matches = hivePatternMatcher(s.pattern);
      return utilityOutcome(ctx, 'database_name', (await ctx.engine.databases()).filter(matches));
    }
    case 'showColumns': {
      ctx.onEngineStart();
      const columns = await describeColumns(ctx, s.table);
      return utilityOutcome(
        ctx,
        'field',
        columns.map((c) => c.name),
      );
    }
    case 'describe': {
      ctx.onEngineStart();
      const columns = await describeColumns(ctx, s.table);
      const row = (a: string, b: string, c: string) => `${a.padEnd(20)}\t${b.padEnd(20)}\t${c.padEnd(20)}`;
      const lines = columns.filter((c) => !c.partition).map((c) => row(c.name, c.type, c.comment));
      const partitions = columns.filter((c) => c.partition);
      if (partitions.length > 0) {
        lines.push(
          '\t \t ',
          '# Partition Information\t \t ',
          row('# col_name', 'data_type', 'comment'),
          '\t \t ',
        );
        lines.push(...partitions.map((c) => row(c.name, c.type, c.comment)));
      }
      return utilityOutcome(ctx, 'col_name', lines);
    }
    case 'showCreateTable': {
      ctx.onEngineStart();
      const database = s.table.database ?? ctx.database;
      const spec = ctx.engine.table(database, s.table.name);
      const view = spec ? undefined : ctx.engine.view(database, s.table.name);
      if (!spec && !view) throw fail('TABLE_NOT_FOUND', `Table ${database}.${s.table.name} does not exist`);
      const text = spec ? showCreateTable(spec) : view!.text;
      return utilityOutcome(ctx, 'createtab_stmt', text.split('\n'));
    }
    case 'showPartitions': {
      ctx.onEngineStart();
      const spec = requireTable(ctx, s.table);
      const names = spec.partitionColumns.map((c) => c.name);
      if (names.length === 0)
        throw fail('NOT_SUPPORTED', `Table ${spec.database}.${spec.name} is not partitioned`);
      const root = ctx.engine.localDir(spec);
      const partitions = new Set<string>();
      for (const file of visibleFiles(root)) {
        const dirs = file.slice(root.replace(/\/?$/, '/').length).split('/').slice(0, -1);
        const values = names.map((name) => dirs.find((d) => d.toLowerCase().startsWith(`${name}=`)));
        if (values.every(Boolean)) partitions.add(values.join('/'));
      }
      return utilityOutcome(ctx, 'partition', [...partitions].sort());
    }
    case 'showTblProperties': {
      ctx.onEngineStart();
      const spec = requireTable(ctx, s.table);
      const lines = Object.entries(spec.tableProperties).map(([k, v]) => `${k}\t${v}`);
      return utilityOutcome(ctx, 'prpt_name', lines);
    }
  }
}

async function describeColumns(
  ctx: RunContext,
  table: QualifiedName,
): Promise<{ name: string; type: string; comment: string; partition: boolean }[]> {
  const database = table.database ?? ctx.database;
  const spec = ctx.engine.table(database, table.name);
  if (spec) {
    const column = (partition: boolean) => (c: ColumnSpec) => ({
      name: c.name,
      type: hiveTypeText(c.type),
      comment: c.comment ?? '',
      partition,
    });
    return [...spec.columns.map(column(false)), ...spec.partitionColumns.map(column(true))];
  }
  if (!ctx.engine.view(database, table.name)) {
    throw fail('TABLE_NOT_FOUND', `Table ${database}.${table.name} does not exist`);
  }
  const box = await openSandbox(ctx);
  const prepared = await box.helper.prepare(
    `SELECT * FROM ${quoteIdent(database)}.${quoteIdent(table.name)} LIMIT 0`,
  );
  const columns = [];
  for (let i = 0; i < prepared.columnCount; i++) {
    columns.push({
      name: prepared.columnName(i).toLowerCase(),
      type: hiveTypeText(duckDbToHive(prepared.columnType(i))),
      comment: '',
      partition: false,
    });
  }
  prepared.destroySync();
  return columns;
}
