// DescribeConfigs (key 32), versions 0-2: broker resources (type 4; name = this broker's id, or empty
// for the cluster defaults) from brokerConfigDefinitions, and topic resources (type 2) with their
// /config/topics overrides over the broker defaults, under Kafka's topic key names. Synonyms (v1+,
// when asked): the topic override, then the broker key it falls back to.
// Every config is reported read-only: AlterConfigs is not implemented. Nothing is sensitive.
import { ErrorCode } from '../../protocol/errors.js';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../../protocol/index.js';
import { describeConfigsApi } from '../../protocol/messages/describe-configs.js';
import type { BrokerServices } from '../broker-services.js';
import type { BrokerConfigKey } from '../config.js';
import { defineApiHandler } from './api-handler.js';
import { brokerDefaultFor, effectiveBrokerValue, TOPIC_CONFIG_KEYS } from './topic-configs.js';

type Result = DescribeConfigsResponse['results'][number];
type ConfigEntry = Result['configs'][number];

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;

/** Kafka's ConfigSource values (DescribeConfigs v1+). */
const Source = { TOPIC: 1, STATIC_BROKER: 4, DEFAULT: 5 } as const;

export const describeConfigsHandler = defineApiHandler(describeConfigsApi, {
  async handle(body, context, broker) {
    const synonyms = context.header.apiVersion >= 1 && (body.includeSynonyms ?? false);
    const results = body.resources.map((resource) => describe(broker, resource, synonyms));
    return { throttleTimeMs: 0, results };
  },
});

function describe(
  broker: BrokerServices,
  resource: DescribeConfigsRequest['resources'][number],
  synonyms: boolean,
): Result {
  const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
  const wanted = (name: string) =>
    resource.configurationKeys === null || resource.configurationKeys.includes(name);
  if (resource.resourceType === RESOURCE_BROKER) {
    if (resource.resourceName !== '' && resource.resourceName !== String(broker.brokerId)) {
      return {
        ...base,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `this is broker ${broker.brokerId}; ask broker ${resource.resourceName} itself`,
        configs: [],
      };
    }
    const configs: ConfigEntry[] = [];
    for (const [name, entry] of broker.config.entries as Map<
      BrokerConfigKey,
      { value: string | null; isDefault: boolean }
    >) {
      if (!wanted(name)) continue;
      const source = entry.isDefault ? Source.DEFAULT : Source.STATIC_BROKER;
      const value = effectiveBrokerValue(name, broker.config);
      configs.push({
        name,
        value,
        readOnly: true,
        isDefault: entry.isDefault,
        configSource: source,
        isSensitive: false,
        synonyms: synonyms ? [{ name, value, source }] : [],
      });
    }
    return { ...base, errorCode: 0, errorMessage: null, configs };
  }
  if (resource.resourceType === RESOURCE_TOPIC) {
    const topic = broker.metadata.topics.get(resource.resourceName);
    if (!topic) {
      return {
        ...base,
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        errorMessage: `unknown topic ${resource.resourceName}`,
        configs: [],
      };
    }
    const configs: ConfigEntry[] = [];
    for (const key of TOPIC_CONFIG_KEYS) {
      if (!wanted(key.name)) continue;
      const override = topic.config[key.name];
      const brokerValue = brokerDefaultFor(key, broker.config);
      const brokerEntry = key.brokerKey === null ? undefined : broker.config.entries.get(key.brokerKey);
      const brokerSource = brokerEntry && !brokerEntry.isDefault ? Source.STATIC_BROKER : Source.DEFAULT;
      const chain: ConfigEntry['synonyms'] = [];
      if (override !== undefined) chain.push({ name: key.name, value: override, source: Source.TOPIC });
      chain.push({ name: key.brokerKey ?? key.name, value: brokerValue, source: brokerSource });
      configs.push({
        name: key.name,
        value: override ?? brokerValue,
        readOnly: true,
        isDefault: override === undefined && brokerSource === Source.DEFAULT,
        configSource: override !== undefined ? Source.TOPIC : brokerSource,
        isSensitive: false,
        synonyms: synonyms ? chain : [],
      });
    }
    return { ...base, errorCode: 0, errorMessage: null, configs };
  }
  return {
    ...base,
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage: `unsupported resource type ${resource.resourceType}`,
    configs: [],
  };
}
