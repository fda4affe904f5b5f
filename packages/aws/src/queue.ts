/** A stage queue (AWS SDK v3 SQS client): send, long-poll receive, delete, visibility heartbeat. */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type AwsConfig, clientOptions } from './config.ts';

export interface QueueMessage {
  id: string;
  receiptHandle: string;
  body: string;
  receiveCount: number;
  sentAt?: number;
}

export class SqsQueue {
  readonly client: SQSClient;

  constructor(
    config: AwsConfig,
    readonly url: string,
  ) {
    this.client = sqsClient(config);
  }

  /** Messages waiting or in hand (SQS's approximate counts): the queue's backlog. */
  async depth(): Promise<number> {
    const r = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(r.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(r.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  /** `groupId`: the message's tenant (MessageGroupId: SQS fair queues take turns between them). */
  async send(body: unknown, delaySeconds = 0, groupId?: string): Promise<string | undefined> {
    const r = await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.url,
        MessageBody: JSON.stringify(body),
        DelaySeconds: delaySeconds,
        ...(groupId && { MessageGroupId: groupId }),
      }),
    );
    return r.MessageId;
  }

  /** Sends a body as it is (a message handed back unchanged). */
  async sendRaw(body: string): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.url, MessageBody: body }));
  }

  async receive(
    max = 10,
    waitSeconds = 10,
    visibilityTimeout?: number,
    signal?: AbortSignal,
  ): Promise<QueueMessage[]> {
    const r = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.url,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        ...(visibilityTimeout !== undefined && { VisibilityTimeout: visibilityTimeout }),
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        // The older name of the same list: what the local SQS server reads (AWS accepts both).
        AttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'] as never,
      }),
      ...(signal ? [{ abortSignal: signal }] : []),
    );
    return (r.Messages ?? []).map((m) => ({
      id: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
      ...(m.Attributes?.SentTimestamp && { sentAt: Number(m.Attributes.SentTimestamp) }),
    }));
  }

  async delete(receiptHandle: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: this.url, ReceiptHandle: receiptHandle }));
  }

  async extend(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.url,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }
}

export function sqsClient(config: AwsConfig): SQSClient {
  // Long polls last up to 20 s: 30 s is a request that will not come back.
  return new SQSClient(clientOptions(config, config.sqsEndpoint, 30_000));
}
