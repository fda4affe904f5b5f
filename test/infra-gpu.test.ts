/**
 * The GPU profile's infrastructure program, evaluated offline with Pulumi's unit-test mocks
 * (`runtime.setMocks`): no cloud, the real `infra/gpu.ts`, its resources recorded and checked
 * against the invariants a deploy depends on. SST's own components (Vpc, Queue, Bucket, Dynamo) are
 * stood in for; the raw Pulumi resources are the real ones. Needs SST's platform, which
 * `npm run check:infra` installs (CI runs it first); skipped without it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { scalingOf, simulate } from './autoscaling-sim.ts';

const root = join(import.meta.dirname, '..');
const platform = join(root, '.sst/platform/node_modules');
const skip = existsSync(join(platform, '@pulumi/aws')) ? false : 'needs SST’s platform (npm run check:infra)';

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
const resources: Recorded[] = [];
const vpcArgs: unknown[] = [];
const dependencies = new Map<string, string[]>();
const calls: { token: string; inputs: Record<string, unknown> }[] = [];
const of = (type: string) => resources.filter((r) => r.type === type);

before(async () => {
  if (skip) return;
  const require = createRequire(join(platform, 'x.js'));
  const pulumi = require('@pulumi/pulumi');
  await pulumi.runtime.setMocks(
    {
      newResource: (a: { type: string; name: string; inputs: Record<string, unknown> }) => {
        resources.push({ type: a.type, name: a.name, inputs: a.inputs });
        return {
          id: `${a.name}-id`,
          state: { ...a.inputs, arn: `arn:aws:mock::${a.name}`, name: a.inputs.name ?? a.name },
        };
      },
      call: (a: { token: string; inputs: Record<string, unknown> }) => {
        calls.push(a);
        return a.token.includes('getParameter')
          ? { value: 'ami-123', name: 'ami' }
          : a.token.includes('getRegion')
            ? { name: 'us-east-1', region: 'us-east-1', id: 'us-east-1' }
            : {};
      },
    },
    'baton',
    'test',
  );
  // Each resource's dependencies as the engine would get them (explicit dependsOn included).
  const monitor = pulumi.runtime.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: { getName(): string; getDependenciesList(): string[] }, cb: unknown) => {
    dependencies.set(req.getName(), req.getDependenciesList());
    return register(req, cb);
  };
  const output = (v: unknown) => pulumi.output(v);
  class Queue {
    url: unknown;
    arn: unknown;
    nodes: { queue: { name: unknown } };
    constructor(name: string) {
      this.url = output(`https://sqs.mock/${name}`);
      this.arn = output(`arn:aws:sqs:mock:${name}`);
      this.nodes = { queue: { name: output(name) } };
    }
  }
  Object.assign(globalThis, {
    aws: require('@pulumi/aws'),
    $jsonStringify: pulumi.jsonStringify,
    $interpolate: pulumi.interpolate,
    $app: { name: 'baton', stage: 'test' },
    sst: {
      aws: {
        Vpc: class {
          id = output('vpc-1');
          securityGroups = output(['sg-1']);
          privateSubnets = output(['subnet-1', 'subnet-2']);
          nodes = { privateRouteTables: output([{ id: output('rtb-1') }, { id: output('rtb-2') }]) };
          constructor(_n: string, args: unknown) {
            vpcArgs.push(args);
          }
        },
        Queue,
        Bucket: class {
          name = output('store');
          arn = output('arn:aws:s3:::store');
        },
        Dynamo: class {
          name = output('state');
          arn = output('arn:aws:dynamodb:mock:000000000000:table/state');
        },
      },
    },
  });
  process.env.BATON_PROFILE = 'gpu';
  process.env.BATON_GPU_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/baton-worker:v1';
  const gpu = join(root, 'infra/gpu.ts'); // a path, not a literal: tsc does not check infra/ here
  await import(gpu);
  // Let the mocked resources register (their inputs resolve asynchronously).
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 20 && of('aws:ecs/service:Service').length < 3; i++)
    await new Promise((r) => setImmediate(r));
});

test('GPU instances run Amazon Linux 2023’s ECS GPU AMI, not Amazon Linux 2 (past its end of support)', {
  skip,
}, () => {
  const ami = calls.find((c) => c.token.includes('getParameter'))!;
  assert.equal(ami.inputs.name, '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id');
});

test('GPU tasks have a way out: the VPC gets a managed NAT gateway, and S3 a gateway endpoint on the private routes', {
  skip,
}, () => {
  assert.deepEqual(vpcArgs, [{ nat: 'managed' }]);
  const [endpoint] = of('aws:ec2/vpcEndpoint:VpcEndpoint');
  assert.equal(endpoint?.inputs.vpcEndpointType, 'Gateway');
  assert.equal(endpoint?.inputs.serviceName, 'com.amazonaws.us-east-1.s3');
  assert.deepEqual(endpoint?.inputs.routeTableIds, ['rtb-1', 'rtb-2']);
});

test('one service per stage, each on the capacity provider, with the stage and region in its task', {
  skip,
}, async () => {
  const services = of('aws:ecs/service:Service');
  assert.equal(services.length, 3);
  const tasks = of('aws:ecs/taskDefinition:TaskDefinition');
  assert.equal(tasks.length, 3);
  for (const t of tasks) {
    const [c] = JSON.parse(t.inputs.containerDefinitions) as {
      environment: { name: string; value: string }[];
      image: string;
      stopTimeout: number;
    }[];
    const env = Object.fromEntries(c!.environment.map((e) => [e.name, e.value]));
    assert.ok(['base', 'relay', 'decode'].includes(env.BATON_STAGE_QUEUE!), t.name);
    assert.equal(env.AWS_REGION, 'us-east-1', `${t.name} knows its region`);
    assert.equal(c!.image, process.env.BATON_GPU_IMAGE, 'one image for every stage');
    assert.ok(c!.stopTimeout * 1000 > 25_000, 'the stop timeout leaves the grace period room');
  }
});

test('instances are protected from scale-in and the capacity provider manages termination', { skip }, () => {
  const [group] = of('aws:autoscaling/group:Group');
  assert.equal(group?.inputs.protectFromScaleIn, true);
  const [cap] = of('aws:ecs/capacityProvider:CapacityProvider');
  assert.equal(cap?.inputs.autoScalingGroupProvider.managedTerminationProtection, 'ENABLED');
});

test('each stage scales on its backlog per running task (waiting + in flight), within its share of the instances', {
  skip,
}, () => {
  const tracking = of('aws:appautoscaling/policy:Policy').filter(
    (p) => p.inputs.policyType === 'TargetTrackingScaling',
  );
  assert.equal(tracking.length, 3);
  for (const p of tracking) {
    const metrics = p.inputs.targetTrackingScalingPolicyConfiguration.customizedMetricSpecification
      .metrics as {
      id: string;
      expression?: string;
      metricStat?: { metric: { metricName: string } };
    }[];
    const names = metrics.flatMap((m) => (m.metricStat ? [m.metricStat.metric.metricName] : []));
    // The stage queue's and its batch lane's messages, waiting and in flight, per running task.
    assert.deepEqual(names.sort(), [
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesVisible',
      'RunningTaskCount',
    ]);
    assert.match(
      metrics.find((m) => m.expression)!.expression!,
      /\(visible \+ inflight \+ lanevisible \+ laneinflight\) \/ MAX\(\[tasks, 1\]\)/,
    );
  }
  const caps = of('aws:appautoscaling/target:Target').map((t) => t.inputs.maxCapacity as number);
  const [group] = of('aws:autoscaling/group:Group');
  assert.ok(
    caps.reduce((a, b) => a + b, 0) <= group!.inputs.maxSize,
    `stages may run ${caps.join(' + ')} tasks on ${group!.inputs.maxSize} instances`,
  );
  // Each stage: one alarm to start from zero, one to return to zero, each invoking its own step policy.
  assert.deepEqual(
    of('aws:cloudwatch/metricAlarm:MetricAlarm')
      .map((a) => a.name)
      .filter((n) => n.includes('Gpu'))
      .sort(),
    ['Base', 'Decode', 'Relay'].flatMap((t) => [`${t}GpuFromZeroAlarm`, `${t}GpuToZeroAlarm`]),
  );
});

/** A GPU stage as AWS would run it: 4 minutes from wanting a task to its first message (boot, pull). */
const world = { minutes: 60, bootMinutes: 4, perTaskPerMinute: 30 };

test('a GPU stage scales from zero: one message and no task → one task wanted within the alarm period (1 minute)', {
  skip,
}, () => {
  const one = { ...world, arrivals: (m: number) => (m === 0 ? 1 : 0) };
  const timeline = simulate(resources, 'Base', one);
  assert.equal(timeline[0]!.desired, 1, 'wanted in the first minute');
  assert.ok(
    timeline.find((m) => m.backlog === 0 && m.running === 1),
    'the task ran the message',
  );
  // Target tracking alone never starts one (1 message / max(0 tasks, 1) is below its target of 8).
  const alarmsAway = resources.filter((r) => r.type !== 'aws:cloudwatch/metricAlarm:MetricAlarm');
  assert.ok(simulate(alarmsAway, 'Base', one).every((m) => m.desired === 0));
});

test('a burst scales a GPU stage out to its cap, never past it; then back to zero', { skip }, () => {
  const cap = scalingOf(resources, 'Relay').target.inputs.maxCapacity as number;
  const timeline = simulate(resources, 'Relay', { ...world, arrivals: (m) => (m === 0 ? 400 : 0) });
  const top = Math.max(...timeline.map((m) => m.desired));
  assert.equal(top, cap);
  assert.ok(timeline.findIndex((m) => m.desired === cap) <= 5, 'at its cap within 5 minutes');
  assert.ok(timeline.at(-1)!.desired === 0 && timeline.at(-1)!.backlog === 0, 'all done, back at zero');
});

test('a GPU stage scales to zero once its backlog has stayed empty for the stated idle period (15 minutes), not sooner', {
  skip,
}, () => {
  const idle = Number(process.env.BATON_GPU_IDLE_MINUTES ?? 15);
  // A message at 0, another at 10: the second one resets the idle clock.
  const timeline = simulate(resources, 'Decode', {
    ...world,
    arrivals: (m) => (m === 0 || m === 10 ? 1 : 0),
  });
  const lastBusy = Math.max(...timeline.filter((m) => m.seen > 0).map((m) => m.minute));
  assert.equal(lastBusy, 10);
  const zero = timeline.findIndex((m) => m.minute > lastBusy && m.desired === 0);
  // Zero after `idle` minutes in which CloudWatch saw nothing waiting or in flight.
  assert.equal(zero - lastBusy, idle, JSON.stringify(timeline.slice(lastBusy, zero + 1)));
  assert.ok(
    timeline.slice(1, zero).every((m) => m.desired === 1),
    'one task the whole time before',
  );
});

test('services are created only after the capacity provider is attached to the cluster', { skip }, () => {
  for (const stage of ['Base', 'Relay', 'Decode']) {
    const deps = dependencies.get(`${stage}GpuService`) ?? [];
    assert.ok(
      deps.some((urn) => urn.endsWith('::GpuClusterCapacity')),
      `${stage}GpuService depends on ${deps.map((u) => u.split('::').pop()).join(', ')}`,
    );
  }
});

test('tasks may ask for their own scale-in protection (the task role allows it)', { skip }, () => {
  const [policy] = of('aws:iam/rolePolicy:RolePolicy');
  const statements = JSON.parse(policy!.inputs.policy).Statement as { Action: string[] }[];
  assert.ok(statements.some((st) => st.Action.includes('ecs:UpdateTaskProtection')));
});

test('GPU tasks reach the state table: its name in their links, item and query rights on it and its indexes', {
  skip,
}, () => {
  for (const t of of('aws:ecs/taskDefinition:TaskDefinition')) {
    const [c] = JSON.parse(t.inputs.containerDefinitions) as {
      environment: { name: string; value: string }[];
    }[];
    const env = Object.fromEntries(c!.environment.map((e) => [e.name, e.value]));
    assert.equal(JSON.parse(env.SST_RESOURCE_State!).name, 'state', t.name);
    // …and its stage's batch lane, which the task polls when its queue is empty.
    assert.ok(
      Object.keys(env).some((k) => /^SST_RESOURCE_(Base|Relay|Decode)BatchLane$/.test(k)),
      t.name,
    );
  }
  const [policy] = of('aws:iam/rolePolicy:RolePolicy');
  const statements = JSON.parse(policy!.inputs.policy).Statement as {
    Action: string[];
    Resource: string[];
  }[];
  const dynamo = statements.find((st) => st.Action.includes('dynamodb:UpdateItem'));
  assert.ok(dynamo, 'a DynamoDB statement');
  for (const a of ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'])
    assert.ok(dynamo.Action.includes(`dynamodb:${a}`), a);
  assert.ok(dynamo.Resource.some((r) => r.endsWith('table/state/index/*')));
});
