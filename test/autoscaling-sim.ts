/**
 * A minute-by-minute simulation of one GPU stage's scaling, driven by the alarms and policies
 * the infrastructure program actually registers (read from Pulumi's mocks): CloudWatch metric
 * math evaluated on a simulated queue and service, alarms with their evaluation periods and
 * missing-data treatment, step policies (re-invoked every minute while their alarm is in
 * ALARM, as Application Auto Scaling does), and target tracking as AWS documents it (scale out
 * when 3 consecutive 1-minute datapoints exceed the target, to ceil(capacity × metric / target)).
 * A task runs `bootMinutes` after it is wanted (instance launch, image pull) and takes
 * `perTaskPerMinute` messages a minute.
 */

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

type Value = number | undefined;

// ---- CloudWatch metric math: the subset the infra uses ----

type Token = { kind: 'num'; value: number } | { kind: 'id'; value: string } | { kind: 'op'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|==|!=|[-+*/<>()[\],]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error(`metric math: cannot read ${JSON.stringify(text.slice(at))}`);
    at = re.lastIndex;
    if (m[1]) tokens.push({ kind: 'num', value: Number(m[1]) });
    else if (m[2]) tokens.push({ kind: 'id', value: m[2] });
    else tokens.push({ kind: 'op', value: m[3]! });
  }
  return tokens;
}

const PRECEDENCE: Record<string, number> = {
  OR: 1,
  AND: 2,
  '<': 3,
  '<=': 3,
  '>': 3,
  '>=': 3,
  '==': 3,
  '!=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
};

const both = (a: Value, b: Value, f: (a: number, b: number) => number): Value =>
  a === undefined || b === undefined ? undefined : f(a, b);

const BINARY: Record<string, (a: Value, b: Value) => Value> = {
  OR: (a, b) => both(a, b, (x, y) => (x || y ? 1 : 0)),
  AND: (a, b) => both(a, b, (x, y) => (x && y ? 1 : 0)),
  '<': (a, b) => both(a, b, (x, y) => (x < y ? 1 : 0)),
  '<=': (a, b) => both(a, b, (x, y) => (x <= y ? 1 : 0)),
  '>': (a, b) => both(a, b, (x, y) => (x > y ? 1 : 0)),
  '>=': (a, b) => both(a, b, (x, y) => (x >= y ? 1 : 0)),
  '==': (a, b) => both(a, b, (x, y) => (x === y ? 1 : 0)),
  '!=': (a, b) => both(a, b, (x, y) => (x !== y ? 1 : 0)),
  '+': (a, b) => both(a, b, (x, y) => x + y),
  '-': (a, b) => both(a, b, (x, y) => x - y),
  '*': (a, b) => both(a, b, (x, y) => x * y),
  '/': (a, b) => both(a, b, (x, y) => x / y),
};

/** Evaluates a metric math expression at one timestamp; a missing datapoint is undefined. */
export function evaluate(expression: string, values: (id: string) => Value): Value {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = () => tokens[i];
  const expect = (op: string) => {
    const t = tokens[i++];
    if (t?.kind !== 'op' || t.value !== op) throw new Error(`metric math: expected ${op} in ${expression}`);
  };
  const list = (): Value[] => {
    expect('[');
    const items: Value[] = [binary(0)];
    while (peek()?.value === ',') {
      i++;
      items.push(binary(0));
    }
    expect(']');
    return items;
  };
  const call = (name: string): Value => {
    expect('(');
    let v: Value;
    if (name === 'MAX' || name === 'MIN') {
      const items = list().filter((x): x is number => x !== undefined);
      v = items.length ? (name === 'MAX' ? Math.max(...items) : Math.min(...items)) : undefined;
    } else if (name === 'FILL') {
      const x = binary(0);
      expect(',');
      const fill = binary(0);
      v = x ?? fill;
    } else if (name === 'IF') {
      const c = binary(0);
      expect(',');
      const a = binary(0);
      expect(',');
      const b = binary(0);
      v = c === undefined ? undefined : c ? a : b;
    } else throw new Error(`metric math: no function ${name} in this simulation`);
    expect(')');
    return v;
  };
  const primary = (): Value => {
    const t = tokens[i++];
    if (!t) throw new Error(`metric math: ${expression} ends early`);
    if (t.kind === 'num') return t.value;
    if (t.kind === 'op' && t.value === '(') {
      const v = binary(0);
      expect(')');
      return v;
    }
    if (t.kind === 'op' && t.value === '-') return both(0, primary(), (a, b) => a - b);
    if (t.kind === 'id') return peek()?.value === '(' ? call(t.value) : values(t.value);
    throw new Error(`metric math: unexpected ${t.value} in ${expression}`);
  };
  const binary = (min: number): Value => {
    let left = primary();
    for (;;) {
      const t = peek();
      const p = t && t.kind !== 'num' ? PRECEDENCE[t.value] : undefined;
      if (p === undefined || p <= min) return left;
      i++;
      left = BINARY[t!.value]!(left, binary(p));
    }
  };
  const v = binary(0);
  if (i !== tokens.length) throw new Error(`metric math: trailing input in ${expression}`);
  return v;
}

// ---- the simulated world ----

export interface Scenario {
  minutes: number;
  /** Messages sent to the stage queue at the start of a minute. */
  arrivals: (minute: number) => number;
  bootMinutes: number;
  perTaskPerMinute: number;
}

export interface Minute {
  minute: number;
  /** Tasks wanted (the service's desired count) after this minute's scaling. */
  desired: number;
  running: number;
  /** Messages waiting or in flight as CloudWatch sees them this minute (before the minute's work). */
  seen: number;
  /** What is left at the minute's end. */
  backlog: number;
}

interface Query {
  id: string;
  expression?: string;
  metricStat?: { metric: { metricName: string; dimensions?: { name: string; value: string }[] } };
}

/** The stage's scaling resources among those recorded: its target, policies and alarms. */
export function scalingOf(resources: readonly Recorded[], title: string) {
  const mine = (type: string) => resources.filter((r) => r.type === type && r.name.startsWith(`${title}Gpu`));
  const [target] = mine('aws:appautoscaling/target:Target');
  if (!target) throw new Error(`no scaling target for ${title}`);
  return {
    target,
    policies: mine('aws:appautoscaling/policy:Policy'),
    alarms: mine('aws:cloudwatch/metricAlarm:MetricAlarm'),
  };
}

export function simulate(resources: readonly Recorded[], title: string, s: Scenario): Minute[] {
  const { target, policies, alarms } = scalingOf(resources, title);
  const min = target.inputs.minCapacity as number;
  const max = target.inputs.maxCapacity as number;
  const clamp = (n: number) => Math.min(max, Math.max(min, n));
  let desired = 0;
  let backlog = 0;
  /** Minute at which each wanted task starts running. */
  let tasks: number[] = [];
  const history = new Map<string, Value[]>();
  const timeline: Minute[] = [];

  for (let minute = 0; minute < s.minutes; minute++) {
    backlog += s.arrivals(minute);
    const seen = backlog;
    const running = tasks.filter((t) => t <= minute).length;
    const inflight = Math.min(backlog, running * 8);
    // What CloudWatch sees this minute. A service with no task running or wanted publishes no
    // data for those counts (the worst case the alarms must survive).
    const metric = (name: string, dims: { name: string; value: string }[] = []): Value => {
      const queue = dims.find((d) => d.name === 'QueueName')?.value ?? '';
      const lane = /BatchLane/.test(queue);
      switch (name) {
        case 'ApproximateNumberOfMessagesVisible':
          return lane ? 0 : backlog - inflight;
        case 'ApproximateNumberOfMessagesNotVisible':
          return lane ? 0 : inflight;
        case 'RunningTaskCount':
          return running || undefined;
        case 'DesiredTaskCount':
          return desired || undefined;
        default:
          throw new Error(`simulation has no metric ${name}`);
      }
    };
    const readQueries = (queries: Query[]) => {
      const values = new Map<string, Value>();
      for (const q of queries)
        if (q.metricStat)
          values.set(q.id, metric(q.metricStat.metric.metricName, q.metricStat.metric.dimensions));
      const out = queries.find((q) => q.expression && (q as { returnData?: boolean }).returnData !== false);
      for (const q of queries)
        if (q.expression)
          values.set(
            q.id,
            evaluate(q.expression, (id) => values.get(id)),
          );
      return values.get(out!.id);
    };

    let next = desired;
    // Step policies, through their alarms.
    for (const a of alarms) {
      const v = readQueries(a.inputs.metricQueries as Query[]);
      const h = [...(history.get(a.name) ?? []), v];
      history.set(a.name, h);
      const breaching = (x: Value) => {
        if (x === undefined) return a.inputs.treatMissingData === 'breaching';
        const t = a.inputs.threshold as number;
        switch (a.inputs.comparisonOperator) {
          case 'GreaterThanOrEqualToThreshold':
            return x >= t;
          case 'GreaterThanThreshold':
            return x > t;
          case 'LessThanOrEqualToThreshold':
            return x <= t;
          case 'LessThanThreshold':
            return x < t;
          default:
            throw new Error(`alarm operator ${a.inputs.comparisonOperator}`);
        }
      };
      const window = h.slice(-(a.inputs.evaluationPeriods as number));
      const needed = (a.inputs.datapointsToAlarm as number | undefined) ?? a.inputs.evaluationPeriods;
      if (window.length < a.inputs.evaluationPeriods || window.filter(breaching).length < needed) continue;
      for (const action of a.inputs.alarmActions as string[]) {
        const p = policies.find((x) => `arn:aws:mock::${x.name}` === action);
        if (!p) throw new Error(`${a.name} invokes ${action}, which no policy is`);
        const c = p.inputs.stepScalingPolicyConfiguration;
        const [adj] = c.stepAdjustments as { scalingAdjustment: number }[];
        next = c.adjustmentType === 'ExactCapacity' ? adj!.scalingAdjustment : next + adj!.scalingAdjustment;
      }
    }
    // Target tracking: out when the last 3 datapoints are above the target.
    for (const p of policies.filter((x) => x.inputs.policyType === 'TargetTrackingScaling')) {
      const c = p.inputs.targetTrackingScalingPolicyConfiguration;
      const v = readQueries(c.customizedMetricSpecification.metrics as Query[]);
      const h = [...(history.get(p.name) ?? []), v];
      history.set(p.name, h);
      const last = h.slice(-3);
      if (last.length === 3 && last.every((x) => x !== undefined && x > c.targetValue)) {
        const capacity = Math.max(running, 1);
        next = Math.max(next, Math.ceil((capacity * v!) / c.targetValue));
      }
      if (!c.disableScaleIn) throw new Error('this simulation models target tracking without scale-in');
    }
    next = clamp(next);
    if (next > tasks.length)
      tasks.push(...Array.from({ length: next - tasks.length }, () => minute + s.bootMinutes));
    else tasks = tasks.slice(0, next);
    desired = next;
    // The minute's work: each running task takes its share.
    backlog = Math.max(0, backlog - tasks.filter((t) => t <= minute).length * s.perTaskPerMinute);
    timeline.push({ minute, desired, running: tasks.filter((t) => t <= minute).length, seen, backlog });
  }
  return timeline;
}
