// SAM templates as alonzo dev reads them (src/dev/template.ts), and the API routes' matching and result mapping
// (src/dev/api-gateway.ts): in-process, on templates written to a temp folder.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTemplate, TemplateError, type DevRoute } from '../../src/dev/template.js';
import { matchRoute, mapResultV1 } from '../../src/dev/api-gateway.js';
import { FIXTURES } from '../helpers/paths.js';

const ctx = { region: 'eu-west-1', accountId: '123456789012', parameters: {} };
const dir = mkdtempSync(join(tmpdir(), 'alonzo-template-'));
mkdirSync(join(dir, 'src'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tpl(text: string, parameters: Record<string, string> = {}) {
  const file = join(dir, `t-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return readTemplate(file, { ...ctx, parameters });
}

const fn = (props: string, globals = '') => `${globals}Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: index.handler
      Runtime: nodejs20.x
${props}`;

test('the features fixture: Globals merged, parameters, layers by logical id, Sub and GetAtt, routes and URL', () => {
  const t = readTemplate(join(FIXTURES, 'sam', 'features', 'template.yaml'), ctx);
  assert.deepEqual(t.layers.map((l) => [l.logicalId, l.name, l.compatibleRuntimes]), [['GreeterLayer', 'greeter', ['nodejs20.x']]]);
  const [greet, peer] = t.functions(new Map([['GreeterLayer', 'arn:aws:lambda:eu-west-1:123456789012:layer:greeter:7']]));
  assert.equal(greet.name, 'GreetFunction');
  assert.equal(greet.memorySize, 256);
  assert.equal(greet.timeout, 5);
  assert.deepEqual(greet.variables, { STAGE: 'dev', GREETING: 'hello', SELF_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:GreetFunction', PEER: 'peer-fn in eu-west-1' });
  assert.deepEqual(greet.layers, ['arn:aws:lambda:eu-west-1:123456789012:layer:greeter:7']);
  assert.deepEqual(greet.localLayers, ['GreeterLayer']);
  assert.deepEqual(greet.url, { AuthType: 'NONE' });
  assert.deepEqual(
    greet.routes.map((r) => [r.kind, r.method, r.path, r.payloadVersion]),
    [
      ['HttpApi', 'GET', '/hello/{name}', '2.0'],
      ['Api', 'ANY', '/rest/{proxy+}', '1.0'],
    ],
  );
  // AWS::Lambda::Function: no Globals (SAM applies them to its own resource types only), its own Role.
  assert.equal(peer.name, 'peer-fn');
  assert.equal(peer.runtime, 'python3.12');
  assert.equal(peer.memorySize, undefined);
  assert.equal(peer.role, 'arn:aws:iam::123456789012:role/peer');
});

test('Sub with a variable map and ${!Literal}, Join, AWS::NoValue, FunctionName given to Ref', () => {
  const t = tpl(`Resources:
  Other:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "\${AWS::StackName}-other"
      CodeUri: src/
      Handler: index.handler
      Runtime: nodejs20.x
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: index.handler
      Runtime: nodejs20.x
      Description: !Ref AWS::NoValue
      Environment:
        Variables:
          A: !Sub ["\${X}-\${!Y}", { X: !Ref Other }]
          B: !Join [":", [a, !Ref AWS::Region, !GetAtt Other.Arn]]
          C: !Ref AWS::NoValue
          D: 42
`);
  const f = t.functions(new Map()).find((x) => x.logicalId === 'Fn')!;
  assert.deepEqual(f.variables, { A: 'alonzo-dev-other-${Y}', B: 'a:eu-west-1:arn:aws:lambda:eu-west-1:123456789012:function:alonzo-dev-other', D: '42' });
});

test('Conditions with Fn::If (and a resource\'s Condition), Mappings with Fn::FindInMap, Select, Split, Base64, GetAZs', () => {
  const text = `Parameters:
  Stage:
    Type: String
    Default: dev
Mappings:
  Sizes:
    dev: { memory: 256, timeout: 5 }
    prod: { memory: 1024, timeout: 30 }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  DevInIreland: !And [!Condition IsDev, !Equals [!Ref AWS::Region, eu-west-1]]
  AnyOf: !Or [!Condition IsProd, !Equals [a, b]]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: index.handler
      Runtime: nodejs20.x
      MemorySize: !FindInMap [Sizes, !Ref Stage, memory]
      Timeout: !If [IsProd, 60, !FindInMap [Sizes, dev, timeout]]
      Environment:
        Variables:
          LEVEL: !If [DevInIreland, debug, info]
          ANY: !If [AnyOf, yes, no]
          SECOND: !Select [1, !Split [",", "a,b,c"]]
          B64: !Base64 hello
          AZ: !Select [0, !GetAZs ""]
          OPTIONAL: !If [IsProd, set, !Ref AWS::NoValue]
  OnlyInProd:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties:
      CodeUri: src/
      Handler: index.handler
      Runtime: nodejs20.x
`;
  const dev = tpl(text).functions(new Map());
  assert.deepEqual(dev.map((f) => f.logicalId), ['Fn'], 'a resource whose Condition is false is not deployed');
  assert.equal(dev[0].memorySize, 256);
  assert.equal(dev[0].timeout, 5);
  assert.deepEqual(dev[0].variables, { LEVEL: 'debug', ANY: 'no', SECOND: 'b', B64: 'aGVsbG8=', AZ: 'eu-west-1a' });
  const prod = tpl(text, { Stage: 'prod' }).functions(new Map());
  assert.deepEqual(prod.map((f) => f.logicalId), ['Fn', 'OnlyInProd']);
  assert.equal(prod[0].memorySize, 1024);
  assert.equal(prod[0].timeout, 60);
  assert.deepEqual(prod[0].variables, { LEVEL: 'info', ANY: 'yes', SECOND: 'b', B64: 'aGVsbG8=', AZ: 'eu-west-1a', OPTIONAL: 'set' });
});

test('Globals: maps merge (variables too), a function\'s own scalar wins; parameters take overrides and AllowedValues', () => {
  const t = tpl(
    fn(
      `      Timeout: 9
      Environment:
        Variables:
          OWN: !Ref Stage
`,
      `Parameters:
  Stage:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev
Globals:
  Function:
    Timeout: 3
    MemorySize: 512
    Environment:
      Variables:
        SHARED: yes
`,
    ),
    { Stage: 'prod' },
  );
  const [f] = t.functions(new Map());
  assert.equal(f.timeout, 9);
  assert.equal(f.memorySize, 512);
  assert.deepEqual(f.variables, { SHARED: 'yes', OWN: 'prod' });
  assert.throws(() => tpl(fn('', 'Parameters:\n  Stage:\n    Type: String\n    AllowedValues: [dev]\n    Default: dev\n'), { Stage: 'qa' }), /The parameter Stage is qa, not one of its AllowedValues \(dev\)\./);
});

test('what is not supported says where and what to write instead', () => {
  const cases: [string, RegExp][] = [
    [fn('      Timeout: !GetAtt Fn.Role\n'), /Resources\.Fn\.Properties\.Timeout: Fn::GetAtt Fn\.Role is not supported by alonzo dev\./],
    [fn('      Timeout: !ImportValue SharedTimeout\n'), /Resources\.Fn\.Properties\.Timeout: Fn::ImportValue is not supported/],
    [fn('      Timeout: !Select [3, [1, 2]]\n'), /Fn::Select index 3 is outside the list \(2 values\)/],
    [fn('      Timeout: !FindInMap [Sizes, prod, timeout]\n'), /Fn::FindInMap: Mappings has no Sizes\.prod\.timeout/],
    [fn('      Timeout: !If [IsProd, 30, 3]\n'), /the condition IsProd is not declared under Conditions/],
    ['Conditions:\n  A: !Equals [!Ref AWS::Region, x]\n  B: !Condition B\n' + fn('      Timeout: !If [B, 30, 3]\n'), /Conditions\.B refers to itself/],
    [fn('      InlineCode: "x"\n'), /InlineCode is not supported/],
    [fn('      PackageType: Image\n'), /PackageType Image is not supported/],
    [fn('      Timeout: 1\n      Timeout: 2\n'), /not valid YAML: Map keys must be unique/],
    ['Resources:\n  L:\n    Type: AWS::Lambda::LayerVersion\n', /AWS::Lambda::LayerVersion is not supported by alonzo dev/],
    ['Description: {{ cookiecutter.project_name }}\nResources: {}\n', /cookiecutter template/],
    ['Foo: 1\n', /has no Resources section/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => tpl(text).functions(new Map()),
      (e: unknown) => e instanceof TemplateError && re.test(e.message),
      `${re}`,
    );
  }
});

const route = (method: string, path: string, kind: 'Api' | 'HttpApi' = 'HttpApi'): DevRoute => ({ kind, method, path, functionName: `${method} ${path}`, payloadVersion: kind === 'Api' ? '1.0' : '2.0' });

test('routes: exact method before ANY, static paths before parameters, greedy last, $default after all', () => {
  const routes = [route('ANY', '$default'), route('ANY', '/{proxy+}'), route('GET', '/items/{id}'), route('ANY', '/items/{id}'), route('GET', '/items/new')];
  const pick = (m: string, p: string) => matchRoute(routes, m, p);
  assert.equal(pick('GET', '/items/new')?.route.functionName, 'GET /items/new');
  assert.deepEqual(pick('GET', '/items/42'), { route: routes[2], params: { id: '42' } });
  assert.equal(pick('POST', '/items/42')?.route.functionName, 'ANY /items/{id}');
  assert.deepEqual(pick('GET', '/a/b%20c'), { route: routes[1], params: { proxy: 'a/b c' } });
  assert.equal(matchRoute([route('GET', '/x')], 'GET', '/y'), undefined);
  assert.equal(pick('GET', '/')?.route.functionName, 'ANY $default');
});

test('payload 1.0 results map as the REST proxy integration maps them; anything else is its 502', () => {
  const ok = mapResultV1(Buffer.from(JSON.stringify({ statusCode: 201, headers: { 'X-A': '1' }, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] }, body: 'aGk=', isBase64Encoded: true })));
  assert.equal(ok.status, 201);
  assert.equal(ok.headers['x-a'], '1');
  assert.deepEqual(ok.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(ok.body.toString(), 'hi');
  for (const bad of ['"just a string"', '{"statusCode":"abc"}', '{"statusCode":200,"body":{"not":"a string"}}', 'not json']) {
    const r = mapResultV1(Buffer.from(bad));
    assert.equal(r.status, 502, bad);
    assert.deepEqual(JSON.parse(r.body.toString()), { message: 'Internal server error' });
  }
});

test('Metadata.BuildMethod is kept, so that alonzo dev can say the folder runs unbuilt', () => {
  const t = tpl(`Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.lambdaHandler
      Runtime: nodejs20.x
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        EntryPoints: [app.ts]
`);
  assert.equal(t.functions(new Map())[0].buildMethod, 'esbuild');
});

test('an explicit AWS::Serverless::Api gives its StageName to its routes; a Ref to a table stands for its name, with a note', () => {
  const t = tpl(`Resources:
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders-local
  Items:
    Type: AWS::DynamoDB::Table
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: index.handler
      Runtime: nodejs20.x
      Environment:
        Variables:
          ORDERS: !Ref Orders
          ITEMS: !Ref Items
      Events:
        Explicit:
          Type: Api
          Properties:
            RestApiId: !Ref MyApi
            Path: /orders
            Method: post
        Implicit:
          Type: Api
          Properties:
            Path: /items
            Method: get
`);
  const [f] = t.functions(new Map());
  assert.deepEqual(f.variables, { ORDERS: 'orders-local', ITEMS: 'Items' });
  assert.deepEqual(f.routes.map((r) => [r.path, r.stage]), [['/orders', 'v1'], ['/items', 'Prod']]);
  assert.deepEqual(t.notes(), [
    "Ref to Orders (AWS::DynamoDB::Table) stands for 'orders-local': alonzo dev does not create it; point the function at a local stand-in or a real one.",
    "Ref to Items (AWS::DynamoDB::Table) stands for 'Items': alonzo dev does not create it; point the function at a local stand-in or a real one.",
  ]);
  assert.throws(() => tpl(fn('      Timeout: !GetAtt Orders.Arn\n').replace('Resources:\n', 'Resources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n')).functions(new Map()), /Fn::GetAtt Orders\.Arn is not supported by alonzo dev/);
});

test('AWS::Lambda::Function with Role: !GetAtt Role.Arn gets the role\'s ARN (RoleName, else the logical id)', () => {
  const t = tpl(`Resources:
  ExecRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: exec-local
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Code: src/
      Handler: index.handler
      Runtime: nodejs20.x
      Role: !GetAtt ExecRole.Arn
`);
  assert.equal(t.functions(new Map())[0].role, 'arn:aws:iam::123456789012:role/exec-local');
});
