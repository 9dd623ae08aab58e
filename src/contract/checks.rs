//! The catalogue of checks: every kind of change the differ reports, with its stable id, level and
//! documentation. Ids follow oasdiff's where one exists (`api-path-removed-without-deprecation`,
//! `request-parameter-became-required`, `response-property-became-nullable` ...).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// How a change affects existing clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Safe.
    Info,
    /// May break some clients.
    Warning,
    /// Breaks clients.
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
    pub fn severity(self) -> crate::finding::Severity {
        use crate::finding::Severity;
        match self {
            Level::Error => Severity::High,
            Level::Warning => Severity::Medium,
            Level::Info => Severity::Info,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check of the catalogue.
#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub level: Level,
    /// paths, parameters, request-body, responses, schema, lifecycle, security, components.
    pub group: &'static str,
    pub description: String,
    /// A base/revision YAML example.
    pub example: Option<(String, String)>,
}

use Level::{Error as E, Info as I, Warning as W};

/// A level, or `NA`.
type Lv = Option<Level>;
/// Marks a schema kind that cannot happen in that direction (no check is made for it).
#[allow(dead_code)]
const NA: Option<Level> = None;

/// Checks about paths, operations, parameters, bodies and responses (not the schema walk).
/// (id, level, group, description)
const OPERATION_CHECKS: &[(&str, Level, &str, &str)] = &[
    // paths and operations
    ("api-path-removed-without-deprecation", E, "paths", "A path was removed without being deprecated first."),
    ("api-path-removed-before-sunset", E, "paths", "A deprecated path was removed before its sunset date (or without the sunset date the sunset policy requires)."),
    ("api-path-removed-with-deprecation", I, "paths", "A deprecated path was removed after its sunset date (or a deprecated / draft / alpha path without one)."),
    ("api-removed-without-deprecation", E, "paths", "An operation (method) was removed without being deprecated first."),
    ("api-removed-before-sunset", E, "paths", "A deprecated operation was removed before its sunset date (or without the sunset date the sunset policy requires)."),
    ("api-removed-with-deprecation", I, "paths", "A deprecated operation was removed after its sunset date (or a deprecated / draft / alpha operation without one)."),
    ("endpoint-added", I, "paths", "A new operation was added."),
    ("api-operation-id-removed", W, "paths", "The operationId of an operation was removed or changed: generated clients rename the method."),
    ("api-operation-id-added", I, "paths", "An operationId was added to an operation."),
    ("api-tag-removed", I, "paths", "A tag was removed from an operation."),
    ("api-tag-added", I, "paths", "A tag was added to an operation."),
    ("api-server-removed", W, "paths", "A server URL was removed (document, path or operation level)."),
    ("api-server-added", I, "paths", "A server URL was added."),
    // security
    ("api-security-added", E, "security", "An operation that needed no authentication now requires it."),
    ("api-security-removed", I, "security", "An operation no longer requires authentication."),
    ("api-security-requirement-added", I, "security", "An alternative security requirement was added to an operation."),
    ("api-security-requirement-removed", E, "security", "An alternative security requirement was removed: clients using it are rejected."),
    ("api-security-scope-added", E, "security", "A security requirement of an operation needs an additional OAuth scope."),
    ("api-security-scope-removed", I, "security", "A security requirement of an operation needs fewer OAuth scopes."),
    ("api-security-component-removed", W, "security", "A security scheme was removed from `components.securitySchemes`."),
    ("api-security-component-added", I, "security", "A security scheme was added to `components.securitySchemes`."),
    ("api-security-component-type-changed", E, "security", "The type of a security scheme changed (e.g. apiKey to oauth2)."),
    ("api-security-component-api-key-changed", E, "security", "Where an API key is sent (`in`, `name`) changed."),
    ("api-security-component-http-scheme-changed", E, "security", "The HTTP authentication scheme (`scheme`, e.g. basic to bearer) changed."),
    ("api-security-component-oauth-url-changed", E, "security", "An OAuth flow's authorization, token or refresh URL changed."),
    ("api-security-component-oauth-scope-removed", W, "security", "A scope was removed from an OAuth flow of a security scheme."),
    ("api-security-component-oauth-scope-added", I, "security", "A scope was added to an OAuth flow of a security scheme."),
    // lifecycle
    ("endpoint-deprecated", I, "lifecycle", "An operation was deprecated."),
    ("endpoint-reactivated", I, "lifecycle", "A deprecated operation is no longer deprecated."),
    ("api-deprecated-sunset-missing", E, "lifecycle", "An operation was deprecated without the sunset date the policy requires (only with `min-sunset-days` or `sunset-policy = \"sunset-date\"`)."),
    ("api-sunset-date-too-small", E, "lifecycle", "An operation was deprecated with a sunset date sooner than `min-sunset-days` from today."),
    ("api-sunset-date-changed-too-small", E, "lifecycle", "The sunset date of a deprecated operation was moved earlier."),
    ("api-sunset-date-extended", I, "lifecycle", "The sunset date of a deprecated operation was moved later."),
    ("api-stability-decreased", E, "lifecycle", "The `x-stability-level` of an operation decreased (stable > beta > alpha > draft)."),
    ("api-stability-increased", I, "lifecycle", "The `x-stability-level` of an operation increased."),
    ("api-invalid-stability-level", E, "lifecycle", "The `x-stability-level` of an operation was set to a value that is not draft, alpha, beta or stable."),
    ("api-deprecated-sunset-parse", E, "lifecycle", "The sunset date (`x-sunset`) of a deprecated operation cannot be parsed (expected YYYY-MM-DD or an HTTP date)."),
    ("api-version-not-bumped", W, "lifecycle", "There are breaking changes but `info.version` is unchanged (only with `require-version-bump = true`)."),
    ("sunset-deleted", E, "lifecycle", "The sunset date of a deprecated operation was deleted while it stays deprecated."),
    // parameters
    ("request-parameter-removed", W, "parameters", "A request parameter was removed: some servers reject unknown parameters, clients still send it."),
    ("request-parameter-removed-with-deprecation", I, "parameters", "A deprecated request parameter was removed (after its `x-sunset` date, if it has one)."),
    ("request-parameter-removed-before-sunset", E, "parameters", "A deprecated request parameter was removed before its `x-sunset` date."),
    ("new-required-request-parameter", E, "parameters", "A new required request parameter was added: existing clients do not send it."),
    ("new-optional-request-parameter", I, "parameters", "A new optional request parameter was added."),
    ("new-request-path-parameter", E, "parameters", "A new path parameter was added: the URL of the operation changed."),
    ("request-parameter-became-required", E, "parameters", "An optional request parameter became required."),
    ("request-parameter-became-optional", I, "parameters", "A required request parameter became optional."),
    ("request-parameter-location-changed", E, "parameters", "A request parameter moved (`in` changed, e.g. query to header)."),
    ("request-parameter-style-changed", E, "parameters", "The serialization `style` of a request parameter changed."),
    ("request-parameter-explode-changed", E, "parameters", "The `explode` setting of a request parameter changed."),
    ("request-parameter-deprecated", I, "parameters", "A request parameter was deprecated."),
    ("request-parameter-reactivated", I, "parameters", "A deprecated request parameter is no longer deprecated."),
    ("request-parameter-sunset-date-changed-too-small", E, "parameters", "The sunset date (`x-sunset`) of a deprecated request parameter was moved earlier."),
    ("request-parameter-sunset-date-extended", I, "parameters", "The sunset date of a deprecated request parameter was moved later."),
    ("request-parameter-sunset-deleted", E, "parameters", "The sunset date of a deprecated request parameter was deleted while it stays deprecated."),
    ("request-parameter-sunset-parse", E, "parameters", "The sunset date of a deprecated request parameter cannot be parsed (expected YYYY-MM-DD or an HTTP date)."),
    ("request-parameter-deprecated-sunset-missing", E, "parameters", "A request parameter was deprecated without the sunset date the policy requires (only with `min-sunset-days` or `sunset-policy = \"sunset-date\"`)."),
    ("request-parameter-sunset-date-too-small", E, "parameters", "A request parameter was deprecated with a sunset date sooner than `min-sunset-days` from today."),
    // request body
    ("request-body-added-required", E, "request-body", "A required request body was added to an operation."),
    ("request-body-added-optional", I, "request-body", "An optional request body was added to an operation."),
    ("request-body-removed", E, "request-body", "The request body of an operation was removed: clients still send one, and servers reject or ignore it."),
    ("request-body-became-required", E, "request-body", "The request body became required."),
    ("request-body-became-optional", I, "request-body", "The request body became optional."),
    ("request-body-media-type-removed", E, "request-body", "A request body media type was removed: clients sending it are rejected."),
    ("request-body-media-type-added", I, "request-body", "A request body media type was added."),
    ("request-body-media-type-schema-removed", I, "request-body", "The schema of a request body media type was removed: anything is accepted."),
    ("request-body-media-type-schema-added", E, "request-body", "A schema was added to a request body media type that had none: payloads that were accepted may now be rejected."),
    ("new-required-request-property", E, "request-body", "A new required property was added to a request schema: existing clients do not send it."),
    ("new-optional-request-property", I, "request-body", "A new optional property was added to a request schema."),
    ("request-property-removed", W, "request-body", "A property was removed from a request schema: clients still send it, and servers that reject unknown properties fail them."),
    ("request-property-became-required", E, "request-body", "An optional request property became required."),
    ("request-property-became-optional", I, "request-body", "A required request property became optional."),
    // responses
    ("response-success-status-removed", E, "responses", "A success (2xx) response status was removed."),
    ("response-non-success-status-removed", I, "responses", "A non-success response status was removed."),
    ("response-success-status-added", I, "responses", "A success response status was added."),
    ("response-non-success-status-added", I, "responses", "A non-success response status was added."),
    ("response-media-type-removed", E, "responses", "A response media type was removed: clients asking for it no longer get it."),
    ("response-media-type-added", I, "responses", "A response media type was added."),
    ("response-media-type-name-generalized", E, "responses", "A response media type was replaced by a more general one (`application/json` to `application/*` or `*/*`): clients cannot tell what they get."),
    ("response-media-type-name-specialized", I, "responses", "A general response media type was replaced by a specific one it covers (`application/*` to `application/json`)."),
    ("response-media-type-schema-added", I, "responses", "A schema was added to a response media type that had none."),
    ("response-media-type-schema-removed", W, "responses", "The schema of a response media type was removed: clients no longer know what they get."),
    ("response-required-property-removed", E, "responses", "A required property was removed from a response: clients reading it break."),
    ("response-optional-property-removed", W, "responses", "An optional property was removed from a response."),
    ("response-property-removed-with-deprecation", I, "responses", "A deprecated response property was removed (after its `x-sunset` date, if it has one)."),
    ("response-property-removed-before-sunset", E, "responses", "A deprecated response property was removed before its `x-sunset` date."),
    ("response-required-property-added", I, "responses", "A required property was added to a response."),
    ("response-optional-property-added", I, "responses", "An optional property was added to a response."),
    ("response-property-became-optional", E, "responses", "A required response property became optional: clients relying on it break."),
    ("response-property-became-required", I, "responses", "An optional response property became required."),
    ("response-required-header-removed", E, "responses", "A required response header was removed."),
    ("response-optional-header-removed", W, "responses", "An optional response header was removed."),
    ("response-header-became-optional", E, "responses", "A required response header became optional."),
    ("response-header-became-required", I, "responses", "An optional response header became required."),
    ("response-header-added", I, "responses", "A response header was added."),
    // components
    ("api-schema-removed", I, "components", "A schema was removed from `components.schemas`."),
    ("api-schema-added", I, "components", "A schema was added to `components.schemas`."),
    // webhooks (3.1 `webhooks`, or `x-webhooks`): the payload is what consumers receive
    ("webhook-removed", E, "webhooks", "A webhook (or one of its methods) was removed: consumers stop receiving it."),
    ("webhook-added", I, "webhooks", "A webhook was added."),
    ("webhook-media-type-removed", E, "webhooks", "A media type of a webhook payload was removed."),
    ("webhook-media-type-added", I, "webhooks", "A media type was added to a webhook payload."),
    ("webhook-removed-before-sunset", E, "webhooks", "A deprecated webhook was removed before its sunset date (or without the sunset date the sunset policy requires)."),
    ("webhook-removed-with-deprecation", I, "webhooks", "A deprecated webhook was removed after its sunset date (or a deprecated / draft / alpha webhook without one)."),
    ("webhook-payload-removed", E, "webhooks", "A webhook no longer sends a payload (its `requestBody` was removed): consumers reading it break."),
    ("webhook-payload-added", I, "webhooks", "A webhook now sends a payload (a `requestBody` was added)."),
    ("webhook-payload-became-optional", E, "webhooks", "A webhook's payload became optional (`requestBody.required` false): consumers may receive none."),
    ("webhook-payload-became-required", I, "webhooks", "A webhook's payload became required: consumers always receive one."),
    ("webhook-required-parameter-removed", E, "webhooks", "A required parameter (e.g. a signature header) the API sends with a webhook was removed: consumers relying on it break."),
    ("webhook-optional-parameter-removed", W, "webhooks", "An optional parameter the API sends with a webhook was removed."),
    ("webhook-parameter-became-optional", E, "webhooks", "A parameter the API sends with a webhook became optional: consumers may not receive it."),
    ("webhook-parameter-became-required", I, "webhooks", "A parameter the API sends with a webhook became required (always sent)."),
    ("webhook-parameter-added", I, "webhooks", "A parameter was added to a webhook (consumers may ignore it)."),
    // what webhook consumers answer: the API reads it, so it is judged like a request
    ("webhook-success-status-removed", E, "webhooks", "A success (2xx) status the API accepts in answer to a webhook was removed: consumers answering with it see failed deliveries."),
    ("webhook-success-status-added", I, "webhooks", "A success status the API accepts in answer to a webhook was added."),
    ("webhook-response-media-type-removed", E, "webhooks", "A media type the API accepts in a consumer's answer to a webhook was removed."),
    ("webhook-response-media-type-added", I, "webhooks", "A media type the API accepts in a consumer's answer to a webhook was added."),
    // webhook lifecycle: the operation lifecycle checks, applied to a webhook's method
    ("webhook-deprecated", I, "webhooks", "A webhook was deprecated."),
    ("webhook-reactivated", I, "webhooks", "A deprecated webhook is no longer deprecated."),
    ("webhook-deprecated-sunset-missing", E, "webhooks", "A webhook was deprecated without the sunset date the policy requires (only with `min-sunset-days` or `sunset-policy = \"sunset-date\"`)."),
    ("webhook-sunset-date-too-small", E, "webhooks", "A webhook was deprecated with a sunset date sooner than `min-sunset-days` from today."),
    ("webhook-sunset-date-changed-too-small", E, "webhooks", "The sunset date of a deprecated webhook was moved earlier."),
    ("webhook-sunset-date-extended", I, "webhooks", "The sunset date of a deprecated webhook was moved later."),
    ("webhook-deprecated-sunset-parse", E, "webhooks", "The sunset date (`x-sunset`) of a deprecated webhook cannot be parsed (expected YYYY-MM-DD or an HTTP date)."),
    ("webhook-sunset-deleted", E, "webhooks", "The sunset date of a deprecated webhook was deleted while it stays deprecated."),
    ("webhook-stability-decreased", E, "webhooks", "The `x-stability-level` of a webhook decreased (stable > beta > alpha > draft)."),
    ("webhook-stability-increased", I, "webhooks", "The `x-stability-level` of a webhook increased."),
    ("webhook-invalid-stability-level", E, "webhooks", "The `x-stability-level` of a webhook was set to a value that is not draft, alpha, beta or stable."),
];

/// Schema keyword changes, reported with a context prefix (request-parameter, request-body,
/// request-property, response-body, response-property, response-header ...).
/// (kind, level in a request, level in a response, description with `{ctx}`)
const SCHEMA_KINDS: &[(&str, Lv, Lv, &str)] = &[
    ("type-changed", Some(E), Some(E), "The type of the {ctx} changed incompatibly."),
    ("type-generalized", Some(I), Some(E), "The type of the {ctx} was widened (integer to number, or to no type at all): safe for requests, breaks clients reading responses."),
    ("type-specialized", Some(E), Some(I), "The type of the {ctx} was narrowed (number to integer): safe for responses, rejects values clients send."),
    ("format-changed", Some(E), Some(E), "The `format` of the {ctx} changed."),
    ("format-added", Some(W), Some(I), "A `format` was added to the {ctx}."),
    ("format-removed", Some(I), Some(W), "The `format` of the {ctx} was removed."),
    ("became-nullable", Some(I), Some(E), "The {ctx} became nullable (3.0 `nullable: true` or 3.1 `null` in `type`)."),
    ("became-not-nullable", Some(E), Some(I), "The {ctx} is no longer nullable."),
    ("enum-value-removed", Some(E), Some(I), "A value was removed from the `enum` of the {ctx}."),
    ("enum-value-added", Some(I), Some(W), "A value was added to the `enum` of the {ctx}: clients may not handle it."),
    ("became-enum", Some(E), Some(I), "The {ctx} was restricted to a list of `enum` values."),
    ("enum-removed", Some(I), Some(W), "The `enum` restriction of the {ctx} was removed."),
    ("const-changed", Some(E), Some(E), "The `const` value of the {ctx} changed."),
    ("const-added", Some(E), Some(I), "A `const` was added to the {ctx}."),
    ("const-removed", Some(I), Some(E), "The `const` of the {ctx} was removed."),
    ("max-decreased", Some(E), Some(I), "The `maximum` of the {ctx} was decreased."),
    ("max-increased", Some(I), Some(E), "The `maximum` of the {ctx} was increased."),
    ("max-set", Some(W), Some(I), "A `maximum` was set on the {ctx}."),
    ("max-removed", Some(I), Some(E), "The `maximum` of the {ctx} was removed."),
    ("min-increased", Some(E), Some(I), "The `minimum` of the {ctx} was increased."),
    ("min-decreased", Some(I), Some(E), "The `minimum` of the {ctx} was decreased."),
    ("min-set", Some(W), Some(I), "A `minimum` was set on the {ctx}."),
    ("min-removed", Some(I), Some(E), "The `minimum` of the {ctx} was removed."),
    ("max-length-decreased", Some(E), Some(I), "The `maxLength` of the {ctx} was decreased."),
    ("max-length-increased", Some(I), Some(E), "The `maxLength` of the {ctx} was increased."),
    ("max-length-set", Some(W), Some(I), "A `maxLength` was set on the {ctx}."),
    ("max-length-removed", Some(I), Some(E), "The `maxLength` of the {ctx} was removed."),
    ("min-length-increased", Some(E), Some(I), "The `minLength` of the {ctx} was increased."),
    ("min-length-decreased", Some(I), Some(E), "The `minLength` of the {ctx} was decreased."),
    ("min-length-set", Some(W), Some(I), "A `minLength` was set on the {ctx}."),
    ("min-length-removed", Some(I), Some(E), "The `minLength` of the {ctx} was removed."),
    ("max-items-decreased", Some(E), Some(I), "The `maxItems` of the {ctx} was decreased."),
    ("max-items-increased", Some(I), Some(E), "The `maxItems` of the {ctx} was increased."),
    ("max-items-set", Some(W), Some(I), "A `maxItems` was set on the {ctx}."),
    ("max-items-removed", Some(I), Some(E), "The `maxItems` of the {ctx} was removed."),
    ("min-items-increased", Some(E), Some(I), "The `minItems` of the {ctx} was increased."),
    ("min-items-decreased", Some(I), Some(E), "The `minItems` of the {ctx} was decreased."),
    ("min-items-set", Some(W), Some(I), "A `minItems` was set on the {ctx}."),
    ("min-items-removed", Some(I), Some(E), "The `minItems` of the {ctx} was removed."),
    ("max-properties-decreased", Some(E), Some(I), "The `maxProperties` of the {ctx} was decreased."),
    ("max-properties-increased", Some(I), Some(E), "The `maxProperties` of the {ctx} was increased."),
    ("max-properties-set", Some(W), Some(I), "A `maxProperties` was set on the {ctx}."),
    ("max-properties-removed", Some(I), Some(E), "The `maxProperties` of the {ctx} was removed."),
    ("min-properties-increased", Some(E), Some(I), "The `minProperties` of the {ctx} was increased."),
    ("min-properties-decreased", Some(I), Some(E), "The `minProperties` of the {ctx} was decreased."),
    ("min-properties-set", Some(W), Some(I), "A `minProperties` was set on the {ctx}."),
    ("min-properties-removed", Some(I), Some(E), "The `minProperties` of the {ctx} was removed."),
    ("pattern-added", Some(E), Some(I), "A `pattern` was added to the {ctx}: values that were accepted may now be rejected."),
    ("pattern-changed", Some(W), Some(I), "The `pattern` of the {ctx} changed (whether it is wider or narrower cannot be decided)."),
    ("pattern-removed", Some(I), Some(W), "The `pattern` of the {ctx} was removed."),
    ("multiple-of-changed", Some(E), Some(W), "The `multipleOf` of the {ctx} changed."),
    ("unique-items-added", Some(E), Some(I), "`uniqueItems: true` was set on the {ctx}."),
    ("unique-items-removed", Some(I), Some(W), "`uniqueItems` was removed from the {ctx}."),
    ("additional-properties-disabled", Some(E), Some(I), "`additionalProperties: false` was set on the {ctx}: extra properties are rejected."),
    ("additional-properties-enabled", Some(I), Some(I), "The {ctx} accepts additional properties again."),
    ("became-read-only", Some(W), Some(I), "The {ctx} became `readOnly`: clients sending it may be rejected."),
    ("became-not-read-only", Some(I), Some(I), "The {ctx} is no longer `readOnly`."),
    ("became-write-only", Some(I), Some(E), "The {ctx} became `writeOnly`: it is no longer returned."),
    ("became-not-write-only", Some(I), Some(I), "The {ctx} is no longer `writeOnly`."),
    ("one-of-added", Some(I), Some(E), "An alternative was added to the `oneOf` of the {ctx}: clients may not handle it."),
    ("one-of-removed", Some(E), Some(I), "An alternative was removed from the `oneOf` of the {ctx}."),
    ("any-of-added", Some(I), Some(W), "An alternative was added to the `anyOf` of the {ctx}."),
    ("any-of-removed", Some(E), Some(I), "An alternative was removed from the `anyOf` of the {ctx}."),
    ("discriminator-added", Some(W), Some(W), "A discriminator was added to the {ctx}."),
    ("discriminator-removed", Some(W), Some(W), "The discriminator of the {ctx} was removed."),
    ("discriminator-property-name-changed", Some(E), Some(E), "The discriminator property name of the {ctx} changed."),
    ("discriminator-mapping-added", Some(I), Some(W), "A discriminator mapping was added to the {ctx}."),
    ("discriminator-mapping-removed", Some(E), Some(I), "A discriminator mapping was removed from the {ctx}."),
    ("discriminator-mapping-changed", Some(E), Some(E), "A discriminator mapping of the {ctx} points to another schema."),
    ("default-changed", Some(I), Some(I), "The `default` of the {ctx} changed: clients omitting it get another behaviour."),
    ("default-added", Some(I), Some(I), "A `default` was added to the {ctx}."),
    ("default-removed", Some(I), Some(I), "The `default` of the {ctx} was removed."),
    ("deprecated", Some(I), Some(I), "The {ctx} was deprecated."),
    ("reactivated", Some(I), Some(I), "The {ctx} is no longer deprecated."),
    ("prefix-items-added", Some(E), Some(E), "A `prefixItems` position was added to the {ctx} (3.1): a tuple position is constrained (requests) or a longer tuple is returned (responses)."),
    ("prefix-items-removed", Some(E), Some(W), "A `prefixItems` position was removed from the {ctx} (3.1): positions shift, and a closed tuple gets shorter."),
    ("dependent-required-added", Some(E), Some(I), "A `dependentRequired` dependency was added to the {ctx} (3.1)."),
    ("dependent-required-removed", Some(I), Some(E), "A `dependentRequired` dependency was removed from the {ctx} (3.1)."),
    ("content-media-type-changed", Some(E), Some(E), "The `contentMediaType` of the {ctx} changed (3.1)."),
    ("content-encoding-changed", Some(E), Some(E), "The `contentEncoding` of the {ctx} changed (3.1)."),
    ("x-extensible-enum-value-removed", Some(E), Some(I), "A value was removed from the `x-extensible-enum` of the {ctx}."),
    ("x-extensible-enum-value-added", Some(I), Some(I), "A value was added to the `x-extensible-enum` of the {ctx} (clients must accept unknown values of an extensible enum)."),
    ("list-of-types-widened", Some(I), Some(E), "A type was added to the type list of the {ctx} (`string` to `[string, integer]`)."),
    ("list-of-types-narrowed", Some(E), Some(I), "A type was removed from the type list of the {ctx} (`[string, integer]` to `string`)."),
    ("exclusive-max-decreased", Some(E), Some(I), "The exclusive maximum of the {ctx} was decreased (or `maximum` became exclusive)."),
    ("exclusive-max-increased", Some(I), Some(E), "The exclusive maximum of the {ctx} was increased (or became inclusive)."),
    ("exclusive-max-set", Some(W), Some(I), "An exclusive maximum was set on the {ctx}."),
    ("exclusive-max-removed", Some(I), Some(E), "The exclusive maximum of the {ctx} was removed."),
    ("exclusive-min-increased", Some(E), Some(I), "The exclusive minimum of the {ctx} was increased (or `minimum` became exclusive)."),
    ("exclusive-min-decreased", Some(I), Some(E), "The exclusive minimum of the {ctx} was decreased (or became inclusive)."),
    ("exclusive-min-set", Some(W), Some(I), "An exclusive minimum was set on the {ctx}."),
    ("exclusive-min-removed", Some(I), Some(E), "The exclusive minimum of the {ctx} was removed."),
    ("contains-added", Some(E), Some(I), "A `contains` constraint was added to the {ctx} (3.1)."),
    ("contains-removed", Some(I), Some(E), "The `contains` constraint of the {ctx} was removed (3.1)."),
    ("min-contains-increased", Some(E), Some(I), "The `minContains` of the {ctx} was increased (3.1; absent is 1)."),
    ("min-contains-decreased", Some(I), Some(E), "The `minContains` of the {ctx} was decreased (3.1; absent is 1)."),
    ("max-contains-decreased", Some(E), Some(I), "The `maxContains` of the {ctx} was decreased or set (3.1)."),
    ("max-contains-increased", Some(I), Some(E), "The `maxContains` of the {ctx} was increased or removed (3.1)."),
    ("dependent-required-changed", Some(E), Some(E), "The properties a property requires (`dependentRequired`) of the {ctx} changed (3.1)."),
    ("dependent-schema-added", Some(E), Some(I), "A `dependentSchemas` entry was added to the {ctx} (3.1)."),
    ("dependent-schema-removed", Some(I), Some(E), "A `dependentSchemas` entry was removed from the {ctx} (3.1)."),
    ("if-added", Some(E), Some(I), "An `if` condition was added to the {ctx} (3.1)."),
    ("if-removed", Some(I), Some(E), "The `if` condition of the {ctx} was removed (3.1)."),
    ("if-changed", Some(W), Some(W), "The `if` condition of the {ctx} changed (3.1): other values get the `then` / `else` constraints."),
    ("then-added", Some(E), Some(I), "A `then` schema was added to the {ctx} (3.1)."),
    ("then-removed", Some(I), Some(E), "The `then` schema of the {ctx} was removed (3.1)."),
    ("else-added", Some(E), Some(I), "An `else` schema was added to the {ctx} (3.1)."),
    ("else-removed", Some(I), Some(E), "The `else` schema of the {ctx} was removed (3.1)."),
    ("pattern-property-added", Some(E), Some(I), "A `patternProperties` entry was added to the {ctx} (3.1): properties matching it are constrained."),
    ("pattern-property-removed", Some(I), Some(E), "A `patternProperties` entry was removed from the {ctx} (3.1)."),
    ("property-names-added", Some(E), Some(I), "A `propertyNames` constraint was added to the {ctx} (3.1)."),
    ("property-names-removed", Some(I), Some(E), "The `propertyNames` constraint of the {ctx} was removed (3.1)."),
    ("unevaluated-items-added", Some(E), Some(I), "An `unevaluatedItems` constraint was added to the {ctx} (3.1)."),
    ("unevaluated-items-removed", Some(I), Some(E), "The `unevaluatedItems` constraint of the {ctx} was removed (3.1)."),
    ("unevaluated-properties-added", Some(E), Some(I), "An `unevaluatedProperties` constraint was added to the {ctx} (3.1): extra properties are rejected."),
    ("unevaluated-properties-removed", Some(I), Some(E), "The `unevaluatedProperties` constraint of the {ctx} was removed (3.1)."),
    ("content-schema-added", Some(E), Some(I), "A `contentSchema` was added to the {ctx} (3.1): the encoded content is constrained."),
    ("content-schema-removed", Some(I), Some(E), "The `contentSchema` of the {ctx} was removed (3.1)."),
    ("all-of-added", Some(E), Some(I), "A constraining subschema was added to the `allOf` of the {ctx}."),
    ("all-of-removed", Some(W), Some(I), "A subschema was removed from the `allOf` of the {ctx}."),
    ("all-of-added-annotation-only", Some(I), Some(I), "An annotation-only subschema (description, title, examples) was added to the `allOf` of the {ctx}."),
    ("all-of-removed-annotation-only", Some(I), Some(I), "An annotation-only subschema was removed from the `allOf` of the {ctx}."),
    ("wrapped-in-one-of", Some(E), Some(E), "The {ctx} was restructured into a `oneOf` (its old schema is one alternative): generated clients change, and a value matching two alternatives is rejected."),
    ("not-added", Some(E), Some(I), "A `not` constraint was added to the {ctx}."),
    ("not-removed", Some(I), Some(E), "The `not` constraint of the {ctx} was removed."),
    ("not-changed", Some(E), Some(E), "The `not` schema of the {ctx} changed: values that were excluded may be accepted, or the reverse."),
];

/// Lifecycle of a property (`deprecated`, `x-sunset`, `x-stability-level` on a property's schema, as
/// oasdiff reads them), reported in the property contexts only (those whose prefix ends in
/// `-property`). (kind, level in a request, level in a response, description with `{ctx}`)
const PROPERTY_KINDS: &[(&str, Lv, Lv, &str)] = &[
    ("stability-decreased", Some(E), Some(E), "The `x-stability-level` of the {ctx} decreased (stable > beta > alpha > draft)."),
    ("stability-increased", Some(I), Some(I), "The `x-stability-level` of the {ctx} increased."),
    ("deprecated-sunset-missing", Some(E), Some(E), "The {ctx} was deprecated without the sunset date the policy requires (only with `min-sunset-days` or `sunset-policy = \"sunset-date\"`)."),
    ("deprecated-sunset-invalid", Some(E), Some(E), "The sunset date (`x-sunset`) of the deprecated {ctx} cannot be parsed (expected YYYY-MM-DD or an HTTP date)."),
    ("sunset-date-too-small", Some(E), Some(E), "The {ctx} was deprecated with a sunset date sooner than `min-sunset-days` from today."),
];

/// Levels that differ from the kind's level in one context: (id, level). A parameter's `default` is
/// what the server assumes when the client omits it, so changing it changes what existing calls do.
const LEVEL_OVERRIDES: &[(&str, Level)] = &[
    ("request-parameter-default-changed", E),
    ("request-parameter-default-added", E),
    ("request-parameter-default-removed", E),
];

/// Schema contexts: (prefix, is a request, human name).
pub const SCHEMA_CONTEXTS: &[(&str, bool, &str)] = &[
    ("request-parameter", true, "request parameter"),
    (
        "request-parameter-property",
        true,
        "property of a request parameter",
    ),
    ("request-body", true, "request body"),
    ("request-property", true, "request property"),
    ("response-body", false, "response body"),
    ("response-property", false, "response property"),
    ("response-header", false, "response header"),
    ("webhook-payload", false, "webhook payload"),
    (
        "webhook-payload-property",
        false,
        "webhook payload property",
    ),
    ("webhook-parameter", false, "webhook parameter"),
    (
        "webhook-response-body",
        true,
        "body of a consumer's answer to a webhook",
    ),
    (
        "webhook-response-property",
        true,
        "property of a consumer's answer to a webhook",
    ),
    (
        "webhook-parameter-property",
        false,
        "property of a webhook parameter",
    ),
];

struct Catalogue {
    checks: Vec<Check>,
    by_id: HashMap<String, usize>,
}

fn catalogue() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| {
        let mut checks = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for (id, level, group, desc) in OPERATION_CHECKS {
            by_id.insert(id.to_string(), checks.len());
            checks.push(Check {
                id: id.to_string(),
                level: *level,
                group,
                description: desc.to_string(),
                example: None,
            });
        }
        for (prefix, request, human) in SCHEMA_CONTEXTS {
            let property = prefix.ends_with("-property");
            let kinds = SCHEMA_KINDS
                .iter()
                .chain(PROPERTY_KINDS.iter().filter(|_| property));
            for (kind, lreq, lresp, desc) in kinds {
                let id = format!("{prefix}-{kind}");
                // `request-parameter-deprecated` is also the parameter-level check (same meaning)
                if by_id.contains_key(&id) {
                    continue;
                }
                let Some(mut level) = (if *request { *lreq } else { *lresp }) else {
                    continue;
                };
                if let Some((_, l)) = LEVEL_OVERRIDES.iter().find(|(o, _)| *o == id) {
                    level = *l;
                }
                by_id.insert(id.clone(), checks.len());
                checks.push(Check {
                    id,
                    level,
                    group: "schema",
                    description: desc.replace("{ctx}", human),
                    example: None,
                });
            }
        }
        Catalogue { checks, by_id }
    })
}

/// Every check, in catalogue order (paths, security, lifecycle, parameters, bodies, responses, schema).
pub fn all() -> &'static [Check] {
    &catalogue().checks
}

pub fn get(id: &str) -> Option<&'static Check> {
    let c = catalogue();
    c.by_id.get(id).map(|&i| &c.checks[i])
}

pub fn level(id: &str) -> Level {
    get(id).map_or(Level::Warning, |c| c.level)
}

/// The number of distinct kinds of change (schema kinds counted once, not per context).
pub fn kind_count() -> usize {
    OPERATION_CHECKS.len() + SCHEMA_KINDS.len() + PROPERTY_KINDS.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in all() {
            assert!(seen.insert(c.id.clone()), "duplicate {}", c.id);
            assert!(c
                .id
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'));
        }
        assert_eq!(level("request-property-enum-value-removed"), Level::Error);
        assert_eq!(level("response-property-enum-value-removed"), Level::Info);
        assert_eq!(level("response-property-enum-value-added"), Level::Warning);
        assert_eq!(level("response-body-became-nullable"), Level::Error);
    }
}
