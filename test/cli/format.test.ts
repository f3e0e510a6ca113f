import {
  formatBytes,
  formatDuration,
  renderCsv,
  renderJson,
  renderResults,
  renderTable,
  renderTextTable,
} from '../../cli/format';

const columns = [
  { name: 'n', type: 'integer' },
  { name: 'label', type: 'varchar' },
];
const rows = [
  ['1', 'plain'],
  ['22', 'has, comma'],
  ['333', 'says "hi"'],
  ['4', 'two\nlines'],
  ['5', null],
];

describe('renderCsv', () => {
  it('writes a header and quotes fields with commas, quotes, newlines or edge spaces (RFC 4180)', () => {
    const csv = renderCsv(columns, [...rows, ['6', ' padded']]);
    expect(csv).toBe(
      'n,label\n1,plain\n22,"has, comma"\n333,"says ""hi"""\n4,"two\nlines"\n5,\n6," padded"\n',
    );
  });

  it('leaves NULL as an empty field', () => {
    expect(renderCsv([{ name: 'x', type: 'varchar' }], [[null]])).toBe('x\n\n');
  });
});

describe('renderJson', () => {
  it('gives one object per row keyed by column name, keeping strings and nulls', () => {
    expect(JSON.parse(renderJson(columns, rows))).toEqual([
      { n: '1', label: 'plain' },
      { n: '22', label: 'has, comma' },
      { n: '333', label: 'says "hi"' },
      { n: '4', label: 'two\nlines' },
      { n: '5', label: null },
    ]);
  });

  it('keeps every value when two columns share a name', () => {
    const same = [
      { name: 'a', type: 'varchar' },
      { name: 'a', type: 'varchar' },
    ];
    expect(JSON.parse(renderJson(same, [['x', 'y']]))).toEqual([{ a: 'x', a_2: 'y' }]);
  });

  it('is an empty array for no rows', () => {
    expect(JSON.parse(renderJson(columns, []))).toEqual([]);
  });
});

describe('renderTable', () => {
  it('aligns columns under their types and a rule, numbers to the right, NULL spelled out, newlines escaped', () => {
    expect(renderTable(columns, rows)).toBe(
      [
        '      n  label',
        'integer  varchar',
        '-------  ----------',
        '      1  plain',
        '     22  has, comma',
        '    333  says "hi"',
        '      4  two\\nlines',
        '      5  NULL',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['bigint', '42', 'right'],
    ['double', '0.5', 'right'],
    ['decimal', '12.50', 'right'],
    ['varchar', 'text', 'left'],
    ['boolean', 'true', 'left'],
    ['timestamp', '2024-05-01 13:04:05.321', 'left'],
    ['date', '2024-05-01', 'left'],
    ['array', '[1, 2]', 'left'],
    ['map', '{a=1}', 'left'],
    ['row', '{x=1, y=z}', 'left'],
  ])('shows a %s column with its Athena type, aligned %s', (type, value, side) => {
    const wide = 'a_column_name_wider_than_any_value';
    const lines = renderTable([{ name: wide, type }], [[value]]).split('\n');
    expect(lines[1].trimEnd()).toBe(side === 'right' ? type.padStart(wide.length) : type);
    expect(lines[2]).toBe('-'.repeat(wide.length));
    expect(lines[3]).toBe(side === 'right' ? value.padStart(wide.length) : value);
  });

  it('shows just the header for no rows', () => {
    expect(renderTextTable(['A', 'BB'], [])).toBe('A  BB\n-  --\n');
  });
});

describe('renderResults', () => {
  it('dispatches on the format', () => {
    expect(renderResults('csv', columns, rows)).toBe(renderCsv(columns, rows));
    expect(renderResults('json', columns, rows)).toBe(renderJson(columns, rows));
    expect(renderResults('table', columns, rows)).toBe(renderTable(columns, rows));
  });
});

describe('formatBytes and formatDuration', () => {
  it('uses decimal units, as Athena bills', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234_567)).toBe('1.23 MB');
    expect(formatBytes(25_000_000_000)).toBe('25.0 GB');
  });

  it('reads like a person would say it', () => {
    expect(formatDuration(950)).toBe('0.95s');
    expect(formatDuration(12_340)).toBe('12.3s');
    expect(formatDuration(83_400)).toBe('1m 23s');
    expect(formatDuration(2 * 3_600_000 + 5 * 60_000)).toBe('2h 5m');
  });
});
