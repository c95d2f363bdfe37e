import { z } from 'zod';
import { parseSentinelUrl } from '../fleet/connect.js';

/**
 * What the boot script needs. Either `redisUrl` (written into app.env; secret if it carries
 * a password; a `redis-sentinel://[:password@]host:port,…/<name>` URL goes in as
 * REDIS_SENTINELS, REDIS_SENTINEL_NAME and REDIS_PASSWORD, as every tier reads them) or `redisUrlParameter` (an SSM SecureString fetched at boot with the instance
 * profile, so no secret ever sits in the user data).
 */
export const userDataOptions = z
  .object({
    region: z.string().min(1),
    fleet: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1-64 letters, digits or ._-' }),
    releaseUrl: z.string().regex(/^(https?:\/\/|s3:\/\/)\S+$/, { message: 'expected an https://, http:// or s3:// URL of the shoal release tarball' }),
    redisUrl: z
      .string()
      .refine((v) => (/^rediss?:\/\//.test(v) && URL.canParse(v)) || !!parseSentinelUrl(v), { message: 'expected redis://[user:pass@]host:port, rediss://… or redis-sentinel://[:pass@]host:port,host:port/<master name>' })
      .optional(),
    redisUrlParameter: z.string().regex(/^[A-Za-z0-9_.\-/]{1,2048}$/, { message: 'expected an SSM parameter name like /shoal/redis-url' }).optional(),
    prefix: z.string().min(1).optional(),
    dynamodb: z.url().optional(),
    tablePrefix: z.string().regex(/^[a-zA-Z0-9_.-]{0,200}$/).optional(),
    port: z.number().int().min(1).max(65535).default(8080),
    /** Recorded on the app's registry entry: `asg` when an Auto Scaling group launches it (`shoal autoscaler --provider asg`). */
    provider: z.enum(['ec2', 'asg']).default('ec2'),
  })
  .refine((o) => !!o.redisUrl !== !!o.redisUrlParameter, { message: 'give exactly one of redisUrl and redisUrlParameter', path: ['redisUrl'] });

export type UserDataOptions = z.input<typeof userDataOptions>;

/** True when the URL carries a password: then the user data holds a secret. */
export function hasSecret(redisUrl: string | undefined): boolean {
  if (!redisUrl) return false;
  const sentinel = parseSentinelUrl(redisUrl);
  return sentinel ? !!sentinel.password : new URL(redisUrl).password !== '';
}

/** app.env's Redis lines: the URL, or behind Sentinel the variables every tier reads (the password a secret in a 0600 file). */
function redisEnv(url: string): [string, string][] {
  const s = parseSentinelUrl(url);
  if (!s) return [['REDIS_URL', url]];
  const env: [string, string][] = [
    ['REDIS_SENTINELS', s.sentinels.map((x) => `${x.host.includes(':') ? `[${x.host}]` : x.host}:${x.port}`).join(',')],
    ['REDIS_SENTINEL_NAME', s.name],
  ];
  if (s.password) env.push(['REDIS_PASSWORD', s.password]);
  return env;
}

/** One single-quoted shell word (also what systemd's EnvironmentFile reads). */
function sq(v: string): string {
  if (/['\\\n]/.test(v)) throw new Error(`cannot place ${JSON.stringify(v.slice(0, 20))} in app.env: percent-encode quotes and backslashes`);
  return `'${v}'`;
}

const UNIT = `[Unit]
Description=shoal app server
After=network-online.target
Wants=network-online.target

[Service]
EnvironmentFile=/etc/shoal/app.env
ExecStart=/usr/bin/env shoal app
User=shoal
Restart=on-failure
RestartSec=2
# Above the app's 30 s drain timeout, so systemd never cuts a drain short.
TimeoutStopSec=45
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target`;

/**
 * cloud-init user data: a shell script (cloud-init runs `#!` user data once, as root, on
 * first boot). It writes /etc/shoal/app.env (0600), installs the release and starts
 * `shoal app` under systemd. Under the embedded EC2 endpoint (SHOAL_EMBEDDED=1) the same
 * script writes app.env below SHOAL_ROOT and execs the local `shoal app` instead: the
 * laptop runs the production path up to the install.
 */
export function renderUserData(input: UserDataOptions): string {
  const o = userDataOptions.parse(input);
  const env: [string, string][] = [
    ['AWS_REGION', o.region],
    ['SHOAL_FLEET', o.fleet],
    ['SHOAL_APP_PROVIDER', o.provider],
    ['SHOAL_APP_PORT', String(o.port)],
  ];
  if (o.prefix) env.push(['SHOAL_PREFIX', o.prefix]);
  if (o.dynamodb) env.push(['DYNAMODB_ENDPOINT', o.dynamodb]);
  if (o.tablePrefix) env.push(['SHOAL_TABLE_PREFIX', o.tablePrefix]);
  if (o.redisUrl) env.push(...redisEnv(o.redisUrl));
  const envLines = env.map(([k, v]) => `${k}=${sq(v)}`).join('\n');
  const fetchRedis = o.redisUrlParameter
    ? `
# The Redis URL is a secret: fetched with the instance profile, never in the user data.
REDIS_URL=$(aws ssm get-parameter --region ${sq(o.region)} --name ${sq(o.redisUrlParameter)} --with-decryption --query Parameter.Value --output text)
printf "REDIS_URL='%s'\\n" "$REDIS_URL" >> "$ENV_FILE"
unset REDIS_URL
`
    : '';
  return `#!/bin/sh
# shoal app server boot (cloud-init user data), fleet ${o.fleet}
set -eu
umask 077
ROOT="\${SHOAL_ROOT:-}"
ENV_FILE="$ROOT/etc/shoal/app.env"
mkdir -p "$ROOT/etc/shoal"
cat > "$ENV_FILE" <<'SHOAL_ENV'
${envLines}
SHOAL_ENV
chmod 600 "$ENV_FILE"

if [ "\${SHOAL_EMBEDDED:-0}" = 1 ]; then
  # The embedded EC2 endpoint: this process is the instance. No install, no systemd;
  # instances share one host, so the app takes a free port.
  set -a
  . "$ENV_FILE"
  set +a
  SHOAL_APP_PORT=0
  exec "$SHOAL_NODE" "$SHOAL_CLI" app
fi
${fetchRedis}
if ! command -v node >/dev/null 2>&1; then
  if command -v dnf >/dev/null 2>&1; then dnf install -y nodejs npm; else apt-get update && apt-get install -y nodejs npm; fi
fi
RELEASE=${sq(o.releaseUrl)}
case "$RELEASE" in
  s3://*) aws s3 cp "$RELEASE" /tmp/shoal-release.tgz && RELEASE=/tmp/shoal-release.tgz ;;
esac
npm install --global --omit=dev "$RELEASE"
id shoal >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin shoal

cat > /etc/systemd/system/shoal-app.service <<'SHOAL_UNIT'
${UNIT}
SHOAL_UNIT
systemctl daemon-reload
systemctl enable --now shoal-app.service
`;
}
