import { API_DESCRIPTORS, apiDescriptor, type ApiKey } from '../protocol/messages/index.js';

/** One API range as a broker advertises it in ApiVersions. */
export interface AdvertisedApiRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** The version to use per api key: the highest version both this codec and the broker speak. */
export type NegotiatedVersions = ReadonlyMap<number, number>;

/**
 * Intersects the broker's advertised ranges with the codec's. APIs with no common version are left
 * out, so `negotiated.get(key) === undefined` means "the broker cannot serve this API for us".
 */
export function negotiateVersions(advertised: readonly AdvertisedApiRange[]): NegotiatedVersions {
  const result = new Map<number, number>();
  for (const range of advertised) {
    const ours = apiDescriptor(range.apiKey);
    if (!ours) continue;
    const high = Math.min(ours.maxVersion, range.maxVersion);
    const low = Math.max(ours.minVersion, range.minVersion);
    if (high >= low) result.set(range.apiKey, high);
  }
  return result;
}

/** The API name for logs and errors. */
export function apiName(apiKey: ApiKey | number): string {
  return apiDescriptor(apiKey)?.name ?? `api ${apiKey}`;
}

/** Highest ApiVersions version this codec speaks; the fallback (error 35) response names the broker's. */
export const API_VERSIONS_MAX = API_DESCRIPTORS.find((d) => d.name === 'ApiVersions')?.maxVersion ?? 0;
