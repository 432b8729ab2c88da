import { MongoClient, type MongoClientOptions } from 'mongodb';

/**
 * A MongoDB connection whose errors never carry the connection string: it holds credentials,
 * and driver messages can quote it (or its password) back.
 */
export class MongoConnection {
  private constructor(
    readonly client: MongoClient,
    private readonly secrets: string[],
  ) {}

  static async connect(uri: string, options: MongoClientOptions = {}): Promise<MongoConnection> {
    const secrets = secretsOf(uri);
    try {
      // 15 s to find the server unless the connection string says otherwise.
      const defaults = /serverSelectionTimeoutMS=/i.test(uri) ? {} : { serverSelectionTimeoutMS: 15_000 };
      const client = new MongoClient(uri, { ...defaults, appName: 'titelive-etl', ...options });
      await client.connect();
      return new MongoConnection(client, secrets);
    } catch (error) {
      throw redactError(error, secrets, 'MongoDB: could not connect (check MONGODB_URI: host, port, credentials, TLS)');
    }
  }

  /** The error with the connection string and its password taken out, for logs and messages. */
  redact(error: unknown): Error {
    return redactError(error, this.secrets);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function secretsOf(uri: string): string[] {
  const secrets = [uri];
  const credentials = /^mongodb(?:\+srv)?:\/\/([^@/]+)@/.exec(uri)?.[1];
  if (credentials) {
    secrets.push(credentials);
    const password = credentials.split(':').slice(1).join(':');
    if (password) secrets.push(password, decodeURIComponent(password));
  }
  return secrets.filter((secret) => secret.length >= 3).sort((a, b) => b.length - a.length);
}

function redactError(error: unknown, secrets: string[], prefix?: string): Error {
  let message = error instanceof Error ? error.message : String(error);
  for (const secret of secrets) message = message.split(secret).join('***');
  const redacted = new Error(prefix ? `${prefix}: ${message}` : message);
  redacted.name = error instanceof Error ? error.name : 'Error';
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== undefined) Object.assign(redacted, { code });
  return redacted;
}
