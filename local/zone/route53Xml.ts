// Route53's REST-XML wire format (API version 2013-04-01): reading request bodies into the
// store's types and writing responses and errors the way the AWS SDK parses them.
import { XMLBuilder, XMLParser } from "fast-xml-parser";
import { DomainNameError, storedName } from "./dnsName";
import { invalidChangeBatch, invalidInput, type Route53Error } from "./route53Errors";
import { isRecordType, type StoredRecordSet } from "./route53Records";
import type { Change, ChangeAction, ChangeInfo, CreateZoneInput, HostedZone, RecordPage } from "./zoneStore";

export const XML_NAMESPACE = "https://route53.amazonaws.com/doc/2013-04-01/";

const LIST_ELEMENTS = new Set(["Change", "ResourceRecord"]);
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  // Entities are decoded by text() below: the parser's own entity pass costs a third of its time.
  processEntities: false,
  trimValues: true,
  isArray: (name) => LIST_ELEMENTS.has(name),
});
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  suppressEmptyNode: false,
});

type XmlObject = Record<string, unknown>;

function isObject(value: unknown): value is XmlObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses a request body and returns its root element's content. */
export function parseRequestBody(body: string, rootName: string): XmlObject {
  // Route53 bodies never carry a DTD; refusing them rules out entity tricks altogether.
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw invalidInput("The request body must not contain a DTD");
  let doc: XmlObject;
  try {
    doc = parser.parse(body) as XmlObject;
  } catch (err) {
    throw invalidInput(`Could not parse the request body as XML: ${(err as Error).message}`);
  }
  const root = doc[rootName];
  if (!isObject(root)) throw invalidInput(`The request body must be a ${rootName} element`);
  return root;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** XML 1.0 §4.6 predefined entities and character references. */
function decodeEntities(value: string): string {
  if (!value.includes("&")) return value;
  return value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith("#")) {
      const code = ref.startsWith("#x")
        ? Number.parseInt(ref.slice(2), 16)
        : Number.parseInt(ref.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return decodeEntities(value);
  return undefined;
}

function requireText(obj: XmlObject, field: string, where: string): string {
  const value = text(obj[field]);
  if (value === undefined || value === "") throw invalidInput(`Missing required field ${field} in ${where}`);
  return value;
}

function integer(value: string, field: string, min: number, max: number, where: string): number {
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw invalidInput(
      `Invalid ${field} '${value}' in ${where}: it must be an integer from ${min} to ${max}`,
    );
  }
  return Number(value);
}

function describeChange(action: string, raw: XmlObject): string {
  return `Change with [Action=${action}, Name=${text(raw.Name) ?? "null"}, Type=${text(raw.Type) ?? "null"}, SetIdentifier=${text(raw.SetIdentifier) ?? "null"}]`;
}

const UNSUPPORTED_FIELDS = [
  "AliasTarget",
  "Region",
  "Failover",
  "GeoLocation",
  "GeoProximityLocation",
  "CidrRoutingConfig",
  "TrafficPolicyInstanceId",
];

/** One Change element → the store's Change; structural problems are InvalidInput. */
function readChange(raw: unknown, position: number): Change {
  if (!isObject(raw)) throw invalidInput(`Change ${position} is empty`);
  const action = text(raw.Action);
  if (action !== "CREATE" && action !== "UPSERT" && action !== "DELETE") {
    throw invalidInput(
      `Invalid value '${action ?? ""}' for Action in change ${position}: it must be one of [CREATE, DELETE, UPSERT]`,
    );
  }
  const rrs = raw.ResourceRecordSet;
  if (!isObject(rrs)) throw invalidInput(`Missing ResourceRecordSet in change ${position}`);
  const where = describeChange(action, rrs);
  const nameText = requireText(rrs, "Name", where);
  const type = requireText(rrs, "Type", where);
  if (!isRecordType(type)) throw invalidInput(`Invalid Type '${type}' in ${where}`);
  for (const field of UNSUPPORTED_FIELDS) {
    if (rrs[field] !== undefined) {
      throw invalidInput(`${field} is not supported by the local zone (in ${where})`);
    }
  }
  let name: string;
  try {
    name = storedName(nameText);
  } catch (err) {
    if (err instanceof DomainNameError)
      throw invalidChangeBatch([`DNS name ${nameText} is not valid: it ${err.message}`]);
    throw err;
  }
  const set: StoredRecordSet = { name, type, ttl: 0, values: [] };
  const ttl = text(rrs.TTL);
  const records = rrs.ResourceRecords;
  if (ttl === undefined || records === undefined) {
    throw invalidInput(
      `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in ${where}`,
    );
  }
  set.ttl = integer(ttl, "TTL", 0, 2147483647, where);
  const list = isObject(records) && Array.isArray(records.ResourceRecord) ? records.ResourceRecord : [];
  if (list.length === 0)
    throw invalidInput(`ResourceRecords must contain at least one ResourceRecord in ${where}`);
  for (const rr of list) {
    const value = isObject(rr) ? text(rr.Value) : undefined;
    if (value === undefined || value === "") throw invalidInput(`A ResourceRecord has no Value in ${where}`);
    set.values.push(value);
  }
  const setIdentifier = text(rrs.SetIdentifier);
  const weight = text(rrs.Weight);
  const multiValue = text(rrs.MultiValueAnswer);
  if (multiValue !== undefined && multiValue !== "true" && multiValue !== "false") {
    throw invalidInput(`Invalid MultiValueAnswer '${multiValue}' in ${where}: it must be true or false`);
  }
  const isMultiValue = multiValue === "true";
  if (setIdentifier !== undefined) {
    if (setIdentifier.length < 1 || setIdentifier.length > 128) {
      throw invalidInput(`SetIdentifier must be 1 to 128 characters in ${where}`);
    }
    if (weight === undefined && !isMultiValue) {
      throw invalidInput(
        `Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found none in ${where}`,
      );
    }
    if (weight !== undefined && isMultiValue) {
      throw invalidInput(
        `Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found more than one in ${where}`,
      );
    }
    set.setIdentifier = setIdentifier;
    if (weight !== undefined) set.weight = integer(weight, "Weight", 0, 255, where);
    if (isMultiValue) set.multiValueAnswer = true;
  } else if (weight !== undefined || isMultiValue) {
    throw invalidInput(`Invalid request: Missing field 'SetIdentifier' in ${where}`);
  }
  const healthCheckId = text(rrs.HealthCheckId);
  if (healthCheckId !== undefined) set.healthCheckId = healthCheckId;
  return { action: action as ChangeAction, set };
}

export function readChangeBatch(body: string): { changes: Change[]; comment?: string } {
  const root = parseRequestBody(body, "ChangeResourceRecordSetsRequest");
  const batch = root.ChangeBatch;
  if (!isObject(batch)) throw invalidInput("Missing ChangeBatch");
  const changes = isObject(batch.Changes) && Array.isArray(batch.Changes.Change) ? batch.Changes.Change : [];
  if (changes.length === 0) throw invalidInput("ChangeBatch.Changes must contain at least one Change");
  return { changes: changes.map((c, i) => readChange(c, i + 1)), comment: text(batch.Comment) };
}

export function readCreateHostedZone(body: string): CreateZoneInput & { privateZoneFlag: boolean } {
  const root = parseRequestBody(body, "CreateHostedZoneRequest");
  const name = requireText(root, "Name", "CreateHostedZoneRequest");
  const callerReference = requireText(root, "CallerReference", "CreateHostedZoneRequest");
  if (callerReference.length > 128) throw invalidInput("CallerReference must be at most 128 characters");
  const config = isObject(root.HostedZoneConfig) ? root.HostedZoneConfig : {};
  const vpc = isObject(root.VPC) ? root.VPC : undefined;
  const vpcInput =
    vpc === undefined
      ? undefined
      : {
          id: requireText(vpc, "VPCId", "VPC"),
          region: requireText(vpc, "VPCRegion", "VPC"),
        };
  return {
    name,
    callerReference,
    comment: text(config.Comment),
    vpc: vpcInput,
    privateZoneFlag: text(config.PrivateZone) === "true",
  };
}

function document(rootName: string, content: XmlObject): string {
  return builder.build({
    "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" },
    [rootName]: { "@_xmlns": XML_NAMESPACE, ...content },
  });
}

function changeInfoXml(change: ChangeInfo): XmlObject {
  return {
    Id: `/change/${change.id}`,
    Status: change.status,
    SubmittedAt: change.submittedAt.toISOString(),
    Comment: change.comment,
  };
}

function hostedZoneXml(zone: HostedZone): XmlObject {
  return {
    Id: `/hostedzone/${zone.id}`,
    Name: zone.name,
    CallerReference: zone.callerReference,
    Config: { Comment: zone.comment, PrivateZone: zone.privateZone },
    ResourceRecordSetCount: zone.sets.size,
  };
}

function delegationSetXml(nameServers: string[]): XmlObject {
  return { NameServers: { NameServer: nameServers.map((n) => n.replace(/\.$/, "")) } };
}

function recordSetXml(set: StoredRecordSet): XmlObject {
  return {
    Name: set.name,
    Type: set.type,
    SetIdentifier: set.setIdentifier,
    Weight: set.weight,
    MultiValueAnswer: set.multiValueAnswer,
    TTL: set.ttl,
    ResourceRecords: { ResourceRecord: set.values.map((Value) => ({ Value })) },
    HealthCheckId: set.healthCheckId,
  };
}

export function createHostedZoneXml(zone: HostedZone, change: ChangeInfo, nameServers: string[]): string {
  return document("CreateHostedZoneResponse", {
    HostedZone: hostedZoneXml(zone),
    ChangeInfo: changeInfoXml(change),
    DelegationSet: zone.privateZone ? undefined : delegationSetXml(nameServers),
    VPC: zone.vpc ? { VPCRegion: zone.vpc.region, VPCId: zone.vpc.id } : undefined,
  });
}

export function getHostedZoneXml(zone: HostedZone, nameServers: string[]): string {
  return document("GetHostedZoneResponse", {
    HostedZone: hostedZoneXml(zone),
    DelegationSet: zone.privateZone ? undefined : delegationSetXml(nameServers),
    VPCs: zone.vpc ? { VPC: [{ VPCRegion: zone.vpc.region, VPCId: zone.vpc.id }] } : undefined,
  });
}

export function changeInfoResponseXml(rootName: string, change: ChangeInfo): string {
  return document(rootName, { ChangeInfo: changeInfoXml(change) });
}

export function listHostedZonesByNameXml(page: {
  zones: HostedZone[];
  isTruncated: boolean;
  next?: HostedZone;
  dnsName?: string;
  hostedZoneId?: string;
  maxItems: number;
}): string {
  return document("ListHostedZonesByNameResponse", {
    HostedZones: { HostedZone: page.zones.map(hostedZoneXml) },
    DNSName: page.dnsName,
    HostedZoneId: page.hostedZoneId,
    IsTruncated: page.isTruncated,
    NextDNSName: page.next?.name,
    NextHostedZoneId: page.next?.id,
    MaxItems: page.maxItems,
  });
}

export function listHostedZonesXml(page: {
  zones: HostedZone[];
  marker?: string;
  next?: HostedZone;
  maxItems: number;
}): string {
  return document("ListHostedZonesResponse", {
    HostedZones: { HostedZone: page.zones.map(hostedZoneXml) },
    Marker: page.marker ?? "",
    IsTruncated: page.next !== undefined,
    NextMarker: page.next?.id,
    MaxItems: page.maxItems,
  });
}

export function listResourceRecordSetsXml(page: RecordPage, maxItems: number): string {
  return document("ListResourceRecordSetsResponse", {
    ResourceRecordSets: { ResourceRecordSet: page.sets.map(recordSetXml) },
    IsTruncated: page.isTruncated,
    NextRecordName: page.next?.name,
    NextRecordType: page.next?.type,
    NextRecordIdentifier: page.next?.identifier,
    MaxItems: maxItems,
  });
}

export function hostedZoneCountXml(count: number): string {
  return document("GetHostedZoneCountResponse", { HostedZoneCount: count });
}

export function hostedZoneLimitXml(type: string, value: number, count: number): string {
  return document("GetHostedZoneLimitResponse", { Limit: { Type: type, Value: value }, Count: count });
}

/** Route53's error document; InvalidChangeBatch also lists each problem under `messages`. */
export function errorXml(error: Route53Error, requestId: string): string {
  return document("ErrorResponse", {
    Error: {
      Type: error.status >= 500 ? "Receiver" : "Sender",
      Code: error.code,
      Message: error.message,
      messages: error.messages ? { Message: error.messages } : undefined,
    },
    RequestId: requestId,
  });
}
