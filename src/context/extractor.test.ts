import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { looksLikeCpp, skipReason, TagExtractor, toFileTags } from './extractor.js';
import { languageForPath } from './languages.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'map');
const limits = { maxFileBytes: 1 << 20 };
const extractor = new TagExtractor();

async function extract(file: string) {
  const lang = languageForPath(file);
  if (!lang) throw new Error(`no language for ${file}`);
  return extractor.extractBuffer(lang.id, readFileSync(join(fixtures, file)), limits);
}

interface Expectation {
  file: string;
  /** `kind name` of definitions that must be present. */
  defs: string[];
  /** names that must be referenced. */
  refs: string[];
  /** names that must NOT appear as references (definitions' own names, keywords, ...). */
  notRefs?: string[];
  /** `name` -> `enclosing name` checks. */
  scopes?: Record<string, string>;
}

const table: Expectation[] = [
  {
    file: 'http-client.ts',
    defs: ['interface RequestOptions', 'type ResponseHandler', 'enum Status', 'constant DEFAULT_TIMEOUT_MS', 'class Transport', 'method send', 'class HttpClient', 'method request', 'function createClient', 'function sleep', 'interface HttpResponse'],
    refs: ['EventEmitter', 'RetryPolicy', 'backoffDelay', 'Logger', 'HttpResponse', 'shouldRetry', 'sleep', 'send', 'Transport'],
    scopes: { request: 'HttpClient', send: 'Transport' },
  },
  {
    file: 'todo-list.tsx',
    defs: ['interface TodoListProps', 'function TodoList', 'function toggle'],
    refs: ['TodoItem', 'useState', 'Todo', 'TodoListProps', 'setTodos'],
    notRefs: ['ul'],
  },
  {
    file: 'event-bus.js',
    defs: ['class EventBus', 'method subscribe', 'method publish', 'function drain', 'function createBus', 'function defaultBus', 'field #handlers', 'function onError', 'function onDone'],
    refs: ['BaseBus', 'Queue', 'drain', 'unsubscribe', 'EventBus', 'createBus'],
    scopes: { publish: 'EventBus' },
  },
  {
    file: 'inventory.py',
    defs: ['class Item', 'class Inventory', 'method reserve', 'method _audit', 'function log_change', 'constant MAX_RESERVATION'],
    refs: ['Repository', 'StorageError', 'publish', 'log_change', 'load', 'dataclass', 'Optional', 'Item'],
    scopes: { reserve: 'Inventory' },
  },
  {
    file: 'server.go',
    defs: ['interface Handler', 'method ServeRoute', 'struct Request', 'struct Server', 'type Middleware', 'function NewServer', 'method Handle', 'function wrap', 'constant DefaultPort', 'variable registry'],
    refs: ['Handler', 'Request', 'Response', 'notFound', 'wrap', 'ServeRoute', 'Middleware'],
    scopes: { ServeRoute: 'Handler' },
  },
  {
    file: 'cache.rs',
    defs: ['struct Entry', 'enum Eviction', 'interface Store', 'struct TtlCache', 'method new', 'method is_live', 'macro cache_of', 'constant DEFAULT_CAPACITY'],
    refs: ['HashMap', 'Clock', 'SystemClock', 'Entry', 'is_live', 'TtlCache', 'Store', 'println'],
    scopes: { is_live: 'TtlCache' },
  },
  {
    file: 'OrderService.java',
    defs: ['class OrderService', 'method place', 'method recent', 'constructor OrderService', 'enum State', 'interface Listener', 'field gateway'],
    refs: ['PaymentGateway', 'OrderRepository', 'Order', 'Cart', 'charge', 'save', 'findRecent', 'Service'],
    scopes: { place: 'OrderService', onPlaced: 'Listener' },
  },
  {
    file: 'ring_buffer.c',
    defs: ['function rb_create', 'function rb_push', 'function next_pow2', 'type ring_buffer_t', 'struct ring_buffer', 'enum rb_status', 'macro RB_MASK', 'macro RB_DEFAULT_SIZE'],
    refs: ['next_pow2', 'malloc', 'ring_buffer_t', 'RB_MASK'],
  },
  {
    file: 'matrix.cpp',
    defs: ['module linalg', 'class Matrix', 'method identity', 'method at', 'method transpose', 'function multiply'],
    refs: ['identity', 'checkDims', 'Matrix', 'at'],
    scopes: { identity: 'Matrix' },
  },
  {
    file: 'widget.h',
    defs: ['module ui', 'struct Size', 'class Widget', 'method paint', 'method preferredSize'],
    refs: ['Canvas', 'computeSize', 'Size'],
    scopes: { paint: 'Widget', Widget: 'ui' },
  },
  {
    file: 'user.rb',
    defs: ['module Accounts', 'class User', 'method initialize', 'method authenticate', 'method find_by_email', 'constant ROLES'],
    refs: ['ApplicationRecord', 'Password', 'verify', 'where'],
    scopes: { authenticate: 'User', User: 'Accounts' },
  },
  {
    file: 'worker.ex',
    defs: ['module Jobs.Worker', 'function start_link', 'function init', 'function handle_call', 'function execute'],
    refs: ['GenServer', 'start_link', 'execute', 'pop', 'run', 'Jobs.Runner'],
    notRefs: ['def', 'defp', 'defmodule', 'use', 'alias'],
    scopes: { handle_call: 'Jobs.Worker' },
  },
  {
    file: 'PaymentProcessor.cs',
    defs: ['interface IPaymentProvider', 'class PaymentProcessor', 'method Process', 'method Validate', 'constructor PaymentProcessor', 'property Count', 'class Money', 'module Shop.Payments'],
    refs: ['IPaymentProvider', 'Receipt', 'Charge', 'Validate', 'IProcessor', 'IDisposable', 'Order'],
    scopes: { Process: 'PaymentProcessor' },
  },
  {
    file: 'UserController.php',
    defs: ['interface Renders', 'class UserController', 'method show', 'method render', 'function helper_format', 'constant PER_PAGE', 'field users'],
    refs: ['Controller', 'Renders', 'UserRepository', 'find', 'abort_unless', 'present', 'User', 'Request', 'view'],
    scopes: { show: 'UserController' },
  },
];

describe('tags per language', () => {
  it.each(table)('$file', async ({ file, defs, refs, notRefs = [], scopes = {} }) => {
    const result = await extract(file);
    expect(result.skipped).toBeUndefined();
    const defNames = result.defs.map((d) => `${d.kind} ${d.name}`);
    expect(defNames).toEqual(expect.arrayContaining(defs));
    const refNames = new Set(result.refs.map((r) => r.name));
    for (const name of refs) expect(refNames, `${file} references ${name}`).toContain(name);
    for (const name of notRefs) expect(refNames, `${file} must not reference ${name}`).not.toContain(name);
    for (const [name, parent] of Object.entries(scopes)) {
      const def = result.defs.find((d) => d.name === name && d.scope >= 0);
      expect(def, `${name} has a scope`).toBeDefined();
      expect(result.defs[def!.scope]!.name).toBe(parent);
    }
    for (const def of result.defs) {
      expect(def.line).toBeGreaterThan(0);
      expect(def.endLine).toBeGreaterThanOrEqual(def.line);
      expect(def.signature).toContain(def.name.split('.').pop()!.replace(/^#/, ''));
    }
  });

  it('keeps multi-line signatures up to the body and no further', async () => {
    const ts = await extract('http-client.ts');
    const ctor = ts.defs.find((d) => d.name === 'constructor')!;
    expect(ctor.signature.split('\n')).toHaveLength(4);
    const py = await extract('inventory.py');
    expect(py.defs.find((d) => d.name === 'reserve')!.signature).toBe('    def reserve(self, sku: str,\n                quantity: int) -> Optional[Item]:');
    const c = await extract('ring_buffer.c');
    expect(c.defs.find((d) => d.name === 'ring_buffer_t')!.signature).toBe('typedef struct ring_buffer {\n⋮\n} ring_buffer_t;');
  });

  it('does not count a definition name as a reference to itself', async () => {
    const result = await extract('server.go');
    const lines = new Set(result.refs.filter((r) => r.name === 'Server').map((r) => r.line));
    expect(lines.has(30)).toBe(false);
    expect(lines.has(35)).toBe(true);
  });

  it('reads names in UTF-16 code units: after accents, CJK and astral characters, and non-ASCII names', async () => {
    // Names are cut from the source by the nodes' indices; a byte offset would shift each one by
    // the multi-byte characters before it.
    const source = 'const é = "😀 日本";\n/* 𝒳𝒴 */ export function 名前(x: Ünïcode): Ünïcode { return hélp😀(x); }\nclass Zürich extends Basé {}\n';
    const extracted = await extractor.extractBuffer('typescript', Buffer.from(source), limits);
    expect(extracted.defs.map((d) => `${d.kind} ${d.name}`)).toEqual(['constant é', 'function 名前', 'class Zürich']);
    // The grammar takes the emoji into the callee's name; `node.text` gave the same (checked).
    expect(toFileTags(extracted).refs).toEqual({ Ünïcode: 2, 'hélp😀': 1, Basé: 1 });
  });

  it('folds references into counts', async () => {
    const tags = toFileTags(await extract('http-client.ts'));
    expect(tags.refs.HttpResponse).toBeGreaterThanOrEqual(3);
    expect(tags.bytes).toBeGreaterThan(0);
  });
});

describe('names found in JS for flat patterns (calls, new, extends, JSX, member assignments)', () => {
  const refsOf = async (lang: 'typescript' | 'tsx' | 'javascript', source: string) => {
    const extracted = await extractor.extractBuffer(lang, Buffer.from(source), limits);
    return { tags: toFileTags(extracted), defs: extracted.defs.map((d) => `${d.kind} ${d.name}`) };
  };

  it('takes the callee of a call and of new: a name, or the last property of a member chain', async () => {
    const { tags } = await refsOf('typescript', 'run();\na.b.go(1);\nthis.#tick();\nimport("x");\n(f || g)();\nnew Widget();\nnew ui.Panel();\nnew (pick())();\nclass K { #p() { this.#p(); } }\n');
    expect(tags.refs).toEqual({ run: 1, go: 1, '#tick': 1, Widget: 1, Panel: 1, pick: 1, '#p': 1 });
  });

  it('takes every class an extends clause names, by name or member', async () => {
    const ts = await refsOf('typescript', 'class A extends Base {}\nclass B extends ns.Mixed {}\nclass C extends make() {}\n');
    expect(ts.tags.refs).toEqual({ Base: 1, Mixed: 1, make: 1 });
    const js = await refsOf('javascript', 'class A extends Base {}\nclass B extends ns.Mixed {}\n');
    expect(js.tags.refs).toEqual({ Base: 1, Mixed: 1 });
  });

  it('takes capitalised and member JSX tags, not HTML tags', async () => {
    const { tags } = await refsOf('tsx', 'const v = <div><Menu.Item /><Card>x</Card><span /></div>;\n');
    expect(tags.refs).toEqual({ Item: 1, Card: 1 });
  });

  it('names methods, fields and class expressions, and skips computed or quoted names', async () => {
    const ts = await refsOf('typescript', 'const K = class Named {};\nconst L = class {};\nclass A {\n  foo() {}\n  ["computed"]() {}\n  #p = 1;\n  bar = 2;\n  #q() {}\n}\ninterface I { sig(): void; "quoted"(): void }\n');
    expect(ts.defs).toEqual(['constant K', 'class Named', 'constant L', 'class A', 'method foo', 'field #p', 'field bar', 'method #q', 'interface I', 'method sig']);
    const js = await refsOf('javascript', 'const K = class Named {};\nclass A {\n  foo() {}\n  ["computed"]() {}\n  #p = 1;\n  bar = 2;\n}\n');
    expect(js.defs).toEqual(['constant K', 'class Named', 'class A', 'method foo', 'field #p', 'field bar']);
  });

  it('defines a function assigned to a member, and nothing for other assignments', async () => {
    const { defs } = await refsOf('javascript', 'Bus.prototype.emit = function () {};\nexports.load = () => 1;\nobj.count = 3;\nplain = () => 2;\n');
    expect(defs).toEqual(['function emit', 'function load']);
  });
});

describe('names found in JS for flat C and C++ patterns', () => {
  it('names functions, methods, prototypes, types and callees through declarator chains', async () => {
    const source = [
      'namespace geo {',
      'int area(int w);',
      'class Shape {',
      ' public:',
      '  Shape();',
      '  virtual double size() const;',
      '  int id() { return id_; }',
      '  static Shape *create();',
      '};',
      'struct Point { int x; };',
      'struct Fwd;',
      'enum Color { Red };',
      'double Shape::size() const { return helper::scale(1.0) + convert<int>(2) + geo::pick<int>(3); }',
      'Shape &Shape::self() { return *this; }',
      'Shape *Shape::create() { Shape *s = new Shape(); s->resize(2); p.move(); return s; }',
      'int *raw(int n) { return nullptr; }',
      '}',
      'int *make_buf(void), count(void);',
    ].join('\n');
    const cpp = await extractor.extractBuffer('cpp', Buffer.from(source), limits);
    expect(cpp.defs.map((d) => `${d.kind} ${d.name}`)).toEqual([
      'module geo', 'class Shape', 'method Shape', 'method size', 'method id', 'struct Point', 'enum Color',
      'method size', 'method self', 'method create', 'function raw', 'function make_buf', 'function count',
    ]);
    expect(toFileTags(cpp).refs).toEqual({ Shape: 9, Fwd: 1, helper: 1, scale: 1, convert: 1, geo: 1, pick: 1, resize: 1, move: 1 });

    const c = await extractor.extractBuffer('c', Buffer.from('int *make(void), count(void);\nstruct s { int a; };\nint main(void) { return count() + p->f(1) + q.g(2); }\n'), limits);
    expect(c.defs.map((d) => `${d.kind} ${d.name}`)).toEqual(['function make', 'function count', 'struct s', 'function main']);
    expect(toFileTags(c).refs).toEqual({ count: 1, f: 1, g: 1 });
  });
});

describe('names found in JS for flat Ruby, C#, PHP and Elixir patterns', () => {
  const cases: { lang: 'ruby' | 'csharp' | 'php' | 'elixir'; source: string; defs: string[]; refs: Record<string, number> }[] = [
    {
      lang: 'ruby',
      source: 'module Billing::Core\n  class Invoice < Base\n    TAX = 3\n    class << self\n      def build = new\n    end\n    def total\n      items.sum(&:price)\n      compute(TAX)\n    end\n  end\nend\n',
      defs: ['module Core', 'class Invoice', 'constant TAX', 'method build', 'method total'],
      refs: { Base: 1, Billing: 1, TAX: 1, compute: 1, sum: 1 },
    },
    {
      lang: 'csharp',
      source: 'namespace Shop {\n  class Cart : Base<Item>, IDisposable {\n    List<Item> items = new List<Item>();\n    Money Total(Item item) { var x = new Money(); Log(x); return items.Sum<Item>(); }\n    void Swap<T>() where T : IItem? {}\n    Item Current { get; }\n  }\n}\n',
      defs: ['module Shop', 'class Cart', 'method Total', 'method Swap', 'property Current'],
      refs: { Base: 1, IDisposable: 1, IItem: 1, Item: 6, List: 2, Log: 1, Money: 2 },
    },
    {
      lang: 'php',
      source: '<?php\nnamespace App;\nuse Vendor\\Pkg\\Mailer;\nclass Shop extends Base implements \\Contracts\\Store {\n  public function send(Mailer $m): Receipt {\n    $r = new \\Mail\\Receipt();\n    helper();\n    \\Util\\format();\n    Clock::now();\n    $m->deliver();\n    $m?->close();\n    return $r;\n  }\n}\n',
      defs: ['module App', 'class Shop', 'method send'],
      refs: { Base: 1, Clock: 1, Mailer: 2, Receipt: 2, Store: 1, close: 1, deliver: 1, format: 1, helper: 1, now: 1 },
    },
    {
      lang: 'elixir',
      source: 'defmodule Jobs.Runner do\n  def run(job) when is_map(job), do: job |> prepare |> Jobs.Queue.push()\n  defp prepare(job), do: Map.put(job, :at, now())\n  def stop, do: :ok\nend\n',
      defs: ['module Jobs.Runner', 'function run', 'function prepare', 'function stop'],
      refs: { 'Jobs.Queue': 1, Map: 1, is_map: 1, now: 1, prepare: 1, push: 1, put: 1 },
    },
  ];

  it.each(cases)('$lang: the tags the nested patterns gave', async ({ lang, source, defs, refs }) => {
    const extracted = await extractor.extractBuffer(lang, Buffer.from(source), limits);
    expect(extracted.defs.map((d) => `${d.kind} ${d.name}`)).toEqual(defs);
    expect(toFileTags(extracted).refs).toEqual(refs);
  });
});

describe('skipReason', () => {
  it('skips binaries, huge and minified files', () => {
    expect(skipReason(Buffer.from('abc\0def'), limits)).toBe('binary');
    expect(skipReason(Buffer.alloc(2048, 'a'), { maxFileBytes: 1024 })).toBe('too-large');
    expect(skipReason(Buffer.from(`var a=${'1+'.repeat(3000)}1;`), limits)).toBe('minified');
    expect(skipReason(Buffer.from('const a = 1;\n'.repeat(500)), limits)).toBeUndefined();
    // One long embedded string does not make a file minified.
    expect(skipReason(Buffer.from(`const data = '${'x'.repeat(5000)}';\n${'const a = 1;\n'.repeat(1000)}`), limits)).toBeUndefined();
  });

  it('tells C++ headers from C ones', () => {
    expect(looksLikeCpp(Buffer.from('namespace a {\nclass B {};\n}\n'))).toBe(true);
    expect(looksLikeCpp(Buffer.from('#include <x.h>\nstd::string f();\n'))).toBe(true);
    expect(looksLikeCpp(Buffer.from('struct a { int b; };\nint f(void);\n/* class of errors */\n'))).toBe(false);
  });
});
