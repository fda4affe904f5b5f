/**
 * Profile `gpu`: one ECS service per stage on EC2 GPU instances, scaled from zero on queue
 * depth. SST's Service is Fargate-only (no GPUs), so these are raw Pulumi `aws.*` resources:
 * launch template with the ECS GPU AMI, auto-scaling group (min 0), capacity provider, task
 * definitions with one GPU, and per stage: a step to one task when work waits at zero, target
 * tracking on the backlog per running task, and a step back to zero when the backlog stays empty.
 */
import { config, STAGES, type Stage } from './config';
import { batch, events, lanes, queues, webhookQueue } from './queues';
import { bucket, table } from './storage';

function gpuWorkers() {
  if (!config.gpu.image) throw new Error('BATON_PROFILE=gpu needs BATON_GPU_IMAGE (see docs/deploy.md)');
  // Tasks in private subnets reach ECS, ECR, SQS, S3, Logs and webhook URLs through a managed
  // NAT gateway (one per AZ; cost in docs/deploy.md). Without it the agent cannot even register.
  const vpc = new sst.aws.Vpc('GpuVpc', { nat: 'managed' });
  // S3 (latents, outputs, ECR's image layers) through a gateway endpoint: free, and no NAT
  // data charge on the largest traffic the tasks have.
  new aws.ec2.VpcEndpoint('GpuS3Endpoint', {
    vpcId: vpc.id,
    serviceName: $interpolate`com.amazonaws.${aws.getRegionOutput().name}.s3`,
    vpcEndpointType: 'Gateway',
    routeTableIds: vpc.nodes.privateRouteTables.apply((tables) => tables.map((t) => t.id)),
  });
  // Container Insights: the running-task count the backlog-per-task scaling divides by.
  const cluster = new aws.ecs.Cluster('GpuCluster', {
    settings: [{ name: 'containerInsights', value: 'enabled' }],
  });

  const ami = aws.ssm.getParameterOutput({
    // Amazon Linux 2023's ECS GPU AMI (Amazon Linux 2 is past its end of support).
    name: '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id',
  });
  const instanceRole = new aws.iam.Role('GpuInstanceRole', {
    assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: 'ec2.amazonaws.com' }),
    managedPolicyArns: [
      'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role',
      'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
    ],
  });
  const profile = new aws.iam.InstanceProfile('GpuInstanceProfile', { role: instanceRole.name });
  const launchTemplate = new aws.ec2.LaunchTemplate('GpuLaunchTemplate', {
    imageId: ami.value,
    instanceType: config.gpu.instanceType,
    iamInstanceProfile: { arn: profile.arn },
    vpcSecurityGroupIds: vpc.securityGroups,
    userData: cluster.name.apply((name) =>
      Buffer.from(
        `#!/bin/bash\necho ECS_CLUSTER=${name} >> /etc/ecs/ecs.config\necho ECS_ENABLE_GPU_SUPPORT=true >> /etc/ecs/ecs.config\n`,
      ).toString('base64'),
    ),
  });
  const group = new aws.autoscaling.Group('GpuInstances', {
    minSize: 0,
    maxSize: config.gpu.maxInstances,
    vpcZoneIdentifiers: vpc.privateSubnets,
    launchTemplate: { id: launchTemplate.id, version: '$Latest' },
    protectFromScaleIn: true,
    tags: [{ key: 'AmazonECSManaged', value: 'true', propagateAtLaunch: true }],
  });
  const capacity = new aws.ecs.CapacityProvider('GpuCapacity', {
    autoScalingGroupProvider: {
      autoScalingGroupArn: group.arn,
      managedTerminationProtection: 'ENABLED',
      managedScaling: {
        status: 'ENABLED',
        targetCapacity: 100,
        minimumScalingStepSize: 1,
        maximumScalingStepSize: 2,
      },
    },
  });
  // Services are created only once the capacity provider is attached (else a first deploy fails).
  const attached = new aws.ecs.ClusterCapacityProviders('GpuClusterCapacity', {
    clusterName: cluster.name,
    capacityProviders: [capacity.name],
    defaultCapacityProviderStrategies: [{ capacityProvider: capacity.name, weight: 1 }],
  });

  const executionRole = new aws.iam.Role('GpuExecutionRole', {
    assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: 'ecs-tasks.amazonaws.com' }),
    managedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy'],
  });
  const taskRole = new aws.iam.Role('GpuTaskRole', {
    assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: 'ecs-tasks.amazonaws.com' }),
  });
  new aws.iam.RolePolicy('GpuTaskAccess', {
    role: taskRole.id,
    policy: $jsonStringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'],
          Resource: [bucket.arn, $interpolate`${bucket.arn}/*`],
        },
        {
          Effect: 'Allow',
          Action: [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:Query',
          ],
          Resource: [table.arn, $interpolate`${table.arn}/index/*`],
        },
        {
          Effect: 'Allow',
          Action: [
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:SendMessage',
            'sqs:GetQueueAttributes',
          ],
          // Its stage queues, webhook deliveries, and the events it announces (job state changes).
          Resource: [
            ...STAGES.map((s) => queues[s].arn),
            ...STAGES.map((s) => lanes[s].arn),
            webhookQueue.arn,
            events.queue.arn,
            batch.queue.arn,
          ],
        },
        {
          // Scale-in protection while a task holds messages (asked of the ECS agent, with this role).
          Effect: 'Allow',
          Action: ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'],
          Resource: '*',
        },
      ],
    }),
  });
  const logs = new aws.cloudwatch.LogGroup('GpuWorkerLogs', { retentionInDays: 30 });

  // The task reads its links the way Lambda code does: SST_RESOURCE_<Name> as JSON.
  const resourceEnv = [
    { name: 'SST_RESOURCE_Store', value: $jsonStringify({ name: bucket.name, type: 'sst.aws.Bucket' }) },
    { name: 'SST_RESOURCE_State', value: $jsonStringify({ name: table.name, type: 'sst.aws.Dynamo' }) },
    ...STAGES.map((s) => ({
      name: `SST_RESOURCE_${s[0]!.toUpperCase()}${s.slice(1)}Queue`,
      value: $jsonStringify({ url: queues[s].url, type: 'sst.aws.Queue' }),
    })),
    // Its batch lane: polled only when the stage queue is empty (interactive work first).
    ...STAGES.map((s) => ({
      name: `SST_RESOURCE_${s[0]!.toUpperCase()}${s.slice(1)}BatchLane`,
      value: $jsonStringify({ url: lanes[s].url, type: 'sst.aws.Queue' }),
    })),
    {
      name: 'SST_RESOURCE_WebhookQueue',
      value: $jsonStringify({ url: webhookQueue.url, type: 'sst.aws.Queue' }),
    },
    {
      name: 'SST_RESOURCE_EventsQueue',
      value: $jsonStringify({ url: events.queue.url, type: 'sst.aws.Queue' }),
    },
    {
      name: 'SST_RESOURCE_BatchQueue',
      value: $jsonStringify({ url: batch.queue.url, type: 'sst.aws.Queue' }),
    },
    { name: 'SST_RESOURCE_App', value: $jsonStringify({ name: $app.name, stage: $app.stage }) },
  ];

  return STAGES.map((stage: Stage) => {
    const title = stage[0]!.toUpperCase() + stage.slice(1);
    const task = new aws.ecs.TaskDefinition(`${title}GpuTask`, {
      family: `baton-${$app.stage}-${stage}`,
      requiresCompatibilities: ['EC2'],
      networkMode: 'awsvpc',
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      containerDefinitions: $jsonStringify([
        {
          name: 'worker',
          // One image serves every stage: BATON_STAGE_QUEUE below says which queue this task polls.
          image: config.gpu.image,
          essential: true,
          memoryReservation: 4096,
          stopTimeout: 30,
          resourceRequirements: [{ type: 'GPU', value: '1' }],
          environment: [
            { name: 'BATON_STAGE_QUEUE', value: stage },
            // The SDK in a container has no Lambda-provided region.
            { name: 'AWS_REGION', value: aws.getRegionOutput().name },
            { name: 'BATON_BATCH_SIZE', value: String(config.batchSize) },
            { name: 'BATON_VISIBILITY_SECONDS', value: String(6 * config.workerTimeoutSeconds) },
            ...resourceEnv,
          ],
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': logs.name,
              'awslogs-region': aws.getRegionOutput().name,
              'awslogs-stream-prefix': stage,
            },
          },
        },
      ]),
    });
    const service = new aws.ecs.Service(
      `${title}GpuService`,
      {
        cluster: cluster.arn,
        taskDefinition: task.arn,
        desiredCount: 0,
        capacityProviderStrategies: [{ capacityProvider: capacity.name, weight: 1 }],
        networkConfiguration: { subnets: vpc.privateSubnets, securityGroups: vpc.securityGroups },
      },
      { ignoreChanges: ['desiredCount'], dependsOn: [attached] },
    );

    const target = new aws.appautoscaling.Target(`${title}GpuScaling`, {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: $interpolate`service/${cluster.name}/${service.name}`,
      minCapacity: 0,
      maxCapacity: config.gpu.maxTasksPerStage,
    });
    // Three policies on the stage's backlog: its queue's and its batch lane's messages,
    // waiting and in flight (in-flight messages keep a busy service from being scaled in
    // under the tasks that hold them):
    // - from zero: a step policy sets 1 task as soon as a message waits and none is wanted
    //   (target tracking cannot: 1 message / max(0 tasks, 1) is below its target);
    // - 1 → N: target tracking on backlog per running task (scale-in disabled: see to zero);
    // - to zero: a step policy sets 0 once the backlog has been empty for idleMinutes.
    const queueMetric = (id: string, metricName: string, queue = queues[stage]) => ({
      id,
      returnData: false,
      metricStat: {
        stat: 'Maximum',
        metric: {
          namespace: 'AWS/SQS',
          metricName,
          dimensions: [{ name: 'QueueName', value: queue.nodes.queue.name }],
        },
      },
    });
    const backlogMetrics = () => [
      queueMetric('visible', 'ApproximateNumberOfMessagesVisible'),
      queueMetric('inflight', 'ApproximateNumberOfMessagesNotVisible'),
      queueMetric('lanevisible', 'ApproximateNumberOfMessagesVisible', lanes[stage]),
      queueMetric('laneinflight', 'ApproximateNumberOfMessagesNotVisible', lanes[stage]),
    ];
    const backlog = '(visible + inflight + lanevisible + laneinflight)';
    // In an alarm, a queue without data points this minute (idle for hours) counts as empty.
    const filledBacklog =
      '(FILL(visible, 0) + FILL(inflight, 0) + FILL(lanevisible, 0) + FILL(laneinflight, 0))';
    const serviceMetric = (id: string, metricName: string, period?: number) => ({
      id,
      returnData: false,
      metricStat: {
        stat: 'Average',
        ...(period && { period }),
        metric: {
          namespace: 'ECS/ContainerInsights',
          metricName,
          dimensions: [
            { name: 'ClusterName', value: cluster.name },
            { name: 'ServiceName', value: service.name },
          ],
        },
      },
    });
    new aws.appautoscaling.Policy(`${title}GpuBacklogPerTask`, {
      policyType: 'TargetTrackingScaling',
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: config.gpu.messagesPerTask,
        scaleOutCooldown: 60,
        // Scaling in under load would stop tasks that hold messages; the to-zero policy ends idle services.
        disableScaleIn: true,
        customizedMetricSpecification: {
          metrics: [
            ...backlogMetrics(),
            serviceMetric('tasks', 'RunningTaskCount'),
            {
              id: 'backlog',
              expression: `${backlog} / MAX([tasks, 1])`,
              label: 'backlog per task',
              returnData: true,
            },
          ],
        },
      },
    });
    const step = (name: string, capacity: number) =>
      new aws.appautoscaling.Policy(`${title}Gpu${name}`, {
        policyType: 'StepScaling',
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        stepScalingPolicyConfiguration: {
          adjustmentType: 'ExactCapacity',
          cooldown: 60,
          metricAggregationType: 'Maximum',
          stepAdjustments: [{ metricIntervalLowerBound: '0', scalingAdjustment: capacity }],
        },
      });
    const fromZero = step('FromZero', 1);
    new aws.cloudwatch.MetricAlarm(`${title}GpuFromZeroAlarm`, {
      alarmDescription: `${stage}: work waits and no task is wanted: start one`,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // No data for the service's desired count (a service at zero) is zero, not "unknown".
      treatMissingData: 'notBreaching',
      metricQueries: [
        ...backlogMetrics().map((m) => ({ ...m, metricStat: { ...m.metricStat, period: 60 } })),
        serviceMetric('desired', 'DesiredTaskCount', 60),
        {
          id: 'start',
          expression: `IF(FILL(desired, 0) < 1 AND ${filledBacklog} >= 1, 1, 0)`,
          label: 'work waits, no task wanted',
          returnData: true,
        },
      ],
      alarmActions: [fromZero.arn],
    });
    const toZero = step('ToZero', 0);
    new aws.cloudwatch.MetricAlarm(`${title}GpuToZeroAlarm`, {
      alarmDescription: `${stage}: nothing waiting or in flight for ${config.gpu.idleMinutes} minutes: stop every task`,
      comparisonOperator: 'LessThanOrEqualToThreshold',
      threshold: 0,
      evaluationPeriods: config.gpu.idleMinutes,
      datapointsToAlarm: config.gpu.idleMinutes,
      // A queue with no data points has had no messages: idle.
      treatMissingData: 'breaching',
      metricQueries: [
        ...backlogMetrics().map((m) => ({ ...m, metricStat: { ...m.metricStat, period: 60 } })),
        { id: 'total', expression: filledBacklog, label: 'backlog', returnData: true },
      ],
      alarmActions: [toZero.arn],
    });
    return service;
  });
}

export const gpuServices = config.profile === 'gpu' ? gpuWorkers() : [];
