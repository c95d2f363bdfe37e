import { ApiError } from './errors.js';
import type { LaunchSpec } from './launch-spec.js';

/** A launch template with its numbered versions (1, 2, …), as CreateLaunchTemplate makes it. */
export interface LaunchTemplate {
  id: string;
  name: string;
  createdAt: number;
  defaultVersion: number;
  versions: LaunchSpec[];
  tags: Record<string, string>;
}

/** `LaunchTemplate.Version`: a number, `$Latest` or `$Default` (the default when absent). */
export function resolveVersion(t: LaunchTemplate, version: string | undefined): { number: number; spec: LaunchSpec } {
  const n = version === undefined || version === '$Default' ? t.defaultVersion : version === '$Latest' ? t.versions.length : Number(version);
  const spec = Number.isInteger(n) ? t.versions[n - 1] : undefined;
  if (!spec) throw new ApiError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${version} for launch template ${t.id}`);
  return { number: n, spec };
}

export function findTemplate(all: Iterable<LaunchTemplate>, ref: { id?: string; name?: string }): LaunchTemplate {
  if (ref.id && ref.name) throw ApiError.invalidCombination('Specify either a launch template ID or a launch template name, not both');
  for (const t of all) if ((ref.id && t.id === ref.id) || (ref.name && t.name === ref.name)) return t;
  if (ref.id) {
    if (!/^lt-[0-9a-f]{17}$/.test(ref.id)) throw new ApiError('InvalidLaunchTemplateId.Malformed', `The specified launch template ID is malformed: ${ref.id}`);
    throw new ApiError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${ref.id}, does not exist.`);
  }
  if (ref.name) throw new ApiError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${ref.name}, does not exist.`);
  throw ApiError.missing('LaunchTemplate.LaunchTemplateId');
}
