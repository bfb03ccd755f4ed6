//! Provisioning from `infra/template.yaml`: the local stack creates the same
//! table (keys, GSIs, TTL), queues (visibility timeouts, redrive to DLQs),
//! bus and rules (with their SQS targets) the template declares, and reads
//! each function's environment, event sources and schedules from it, so the
//! template and the local stack cannot drift.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use serde_yaml::Value;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("template: {0}")]
    Template(String),
    #[error("provisioning {what}: {message}")]
    Aws { what: String, message: String },
}

fn aws_err(what: impl Into<String>, e: impl std::fmt::Display) -> ProvisionError {
    ProvisionError::Aws {
        what: what.into(),
        message: e.to_string(),
    }
}

/// One function of the template, as the local runner needs it.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub logical_id: String,
    pub binary: String,
    pub timeout_secs: u64,
    /// (queue logical id, batch size)
    pub sqs: Vec<(String, i32)>,
    /// `rate(...)` or `cron(...)` expressions.
    pub schedules: Vec<String>,
    /// (method, path)
    pub http: Vec<(String, String)>,
    /// Environment with every intrinsic resolved to the local resources.
    pub env: HashMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct QueueSpec {
    pub logical_id: String,
    pub url: String,
    pub arn: String,
    pub visibility_timeout: i32,
    pub dlq: Option<String>,
    pub max_receive_count: Option<u32>,
}

/// Everything a local stack has after provisioning.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub stack_name: String,
    pub table_name: String,
    pub bus_name: String,
    pub queues: BTreeMap<String, QueueSpec>,
    pub functions: BTreeMap<String, FunctionSpec>,
}

impl Provisioned {
    pub fn function(&self, binary: &str) -> &FunctionSpec {
        self.functions
            .values()
            .find(|f| f.binary == binary)
            .unwrap_or_else(|| panic!("template has no function with binary {binary}"))
    }
}

fn tag_name(t: &serde_yaml::value::TaggedValue) -> String {
    t.tag.to_string().trim_start_matches('!').to_string()
}

pub struct Template {
    root: Value,
}

impl Template {
    pub fn load(path: &std::path::Path) -> Result<Self, ProvisionError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ProvisionError::Template(format!("{}: {e}", path.display())))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, ProvisionError> {
        let root: Value =
            serde_yaml::from_str(text).map_err(|e| ProvisionError::Template(e.to_string()))?;
        Ok(Self { root })
    }

    pub fn resources(&self) -> Vec<(String, &Value)> {
        self.root
            .get("Resources")
            .and_then(Value::as_mapping)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn of_type(&self, ty: &str) -> Vec<(String, &Value)> {
        self.resources()
            .into_iter()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(ty))
            .collect()
    }

    pub fn parameter_default(&self, name: &str) -> Option<String> {
        let p = self.root.get("Parameters")?.get(name)?;
        match p.get("Default")? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// Resolves intrinsics against the local resources.
struct Resolver<'a> {
    stack: &'a str,
    refs: HashMap<String, String>,
    arns: HashMap<String, String>,
    params: &'a HashMap<String, String>,
    template: &'a Template,
}

impl Resolver<'_> {
    fn resolve(&self, v: &Value) -> Result<String, ProvisionError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Tagged(t) => {
                let inner = t.value.as_str().ok_or_else(|| {
                    ProvisionError::Template(format!("!{} needs a string", tag_name(t)))
                })?;
                match tag_name(t).as_str() {
                    "Ref" => self.reference(inner),
                    "GetAtt" => {
                        let (id, attr) = inner.split_once('.').ok_or_else(|| {
                            ProvisionError::Template(format!("bad !GetAtt {inner}"))
                        })?;
                        match attr {
                            "Arn" => self.arns.get(id).cloned().ok_or_else(|| {
                                ProvisionError::Template(format!("no ARN for {id}"))
                            }),
                            _ => Err(ProvisionError::Template(format!(
                                "!GetAtt {inner} is not supported locally"
                            ))),
                        }
                    }
                    "Sub" => self.sub(inner),
                    other => Err(ProvisionError::Template(format!(
                        "intrinsic !{other} is not supported locally"
                    ))),
                }
            }
            other => Err(ProvisionError::Template(format!(
                "cannot resolve {other:?}"
            ))),
        }
    }

    fn reference(&self, name: &str) -> Result<String, ProvisionError> {
        if let Some(v) = self.refs.get(name) {
            return Ok(v.clone());
        }
        if let Some(v) = self.params.get(name) {
            return Ok(v.clone());
        }
        if let Some(v) = self.template.parameter_default(name) {
            return Ok(v);
        }
        match name {
            "AWS::StackName" => Ok(self.stack.to_string()),
            "AWS::Region" => Ok("us-east-1".into()),
            "AWS::AccountId" => Ok("123456789012".into()),
            "AWS::Partition" => Ok("aws".into()),
            "AWS::URLSuffix" => Ok("amazonaws.com".into()),
            _ => Err(ProvisionError::Template(format!(
                "!Ref {name}: unknown locally"
            ))),
        }
    }

    fn sub(&self, s: &str) -> Result<String, ProvisionError> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .ok_or_else(|| ProvisionError::Template(format!("unclosed ${{ in {s}")))?
                + start;
            let name = &rest[start + 2..end];
            let value = match name.split_once('.') {
                Some((id, "Arn")) => self
                    .arns
                    .get(id)
                    .cloned()
                    .ok_or_else(|| ProvisionError::Template(format!("no ARN for {id}")))?,
                _ => self
                    .reference(name)
                    .or_else(|_| Ok::<_, ProvisionError>(name.to_string()))?,
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn yaml_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::from_str(&n.to_string()).unwrap_or(serde_json::Value::Null),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Sequence(seq) => serde_json::Value::Array(seq.iter().map(yaml_to_json).collect()),
        Value::Mapping(m) => serde_json::Value::Object(
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), yaml_to_json(v))))
                .collect(),
        ),
        Value::Tagged(t) => yaml_to_json(&t.value),
    }
}

fn attr_type(t: &str) -> ScalarAttributeType {
    match t {
        "N" => ScalarAttributeType::N,
        "B" => ScalarAttributeType::B,
        _ => ScalarAttributeType::S,
    }
}

fn key_schema(v: Option<&Value>) -> Result<Vec<KeySchemaElement>, ProvisionError> {
    v.and_then(Value::as_sequence)
        .ok_or_else(|| ProvisionError::Template("KeySchema missing".into()))?
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(
                    k.get("AttributeName")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                )
                .key_type(
                    if k.get("KeyType").and_then(Value::as_str) == Some("RANGE") {
                        KeyType::Range
                    } else {
                        KeyType::Hash
                    },
                )
                .build()
                .map_err(|e| ProvisionError::Template(e.to_string()))
        })
        .collect()
}

/// Creates every resource of `template` under `stack_name` in the emulators.
pub async fn provision(
    template: &Template,
    stack_name: &str,
    params: &HashMap<String, String>,
    ddb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    events: &aws_sdk_eventbridge::Client,
) -> Result<Provisioned, ProvisionError> {
    let mut r = Resolver {
        stack: stack_name,
        refs: HashMap::new(),
        arns: HashMap::new(),
        params,
        template,
    };

    // Tables.
    let mut table_name = String::new();
    for (id, res) in template.of_type("AWS::DynamoDB::Table") {
        let p = res
            .get("Properties")
            .ok_or_else(|| ProvisionError::Template(format!("{id} has no Properties")))?;
        let name = r.resolve(
            p.get("TableName")
                .ok_or_else(|| ProvisionError::Template(format!("{id}.TableName")))?,
        )?;
        let defs = p
            .get("AttributeDefinitions")
            .and_then(Value::as_sequence)
            .ok_or_else(|| ProvisionError::Template(format!("{id}.AttributeDefinitions")))?
            .iter()
            .map(|a| {
                AttributeDefinition::builder()
                    .attribute_name(
                        a.get("AttributeName")
                            .and_then(Value::as_str)
                            .unwrap_or_default(),
                    )
                    .attribute_type(attr_type(
                        a.get("AttributeType")
                            .and_then(Value::as_str)
                            .unwrap_or("S"),
                    ))
                    .build()
                    .map_err(|e| ProvisionError::Template(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut gsis = Vec::new();
        for g in p
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            let proj = g
                .get("Projection")
                .and_then(|p| p.get("ProjectionType"))
                .and_then(Value::as_str)
                .unwrap_or("ALL");
            gsis.push(
                GlobalSecondaryIndex::builder()
                    .index_name(
                        g.get("IndexName")
                            .and_then(Value::as_str)
                            .unwrap_or_default(),
                    )
                    .set_key_schema(Some(key_schema(g.get("KeySchema"))?))
                    .projection(
                        Projection::builder()
                            .projection_type(match proj {
                                "KEYS_ONLY" => ProjectionType::KeysOnly,
                                "INCLUDE" => ProjectionType::Include,
                                _ => ProjectionType::All,
                            })
                            .build(),
                    )
                    .build()
                    .map_err(|e| ProvisionError::Template(e.to_string()))?,
            );
        }
        ddb.create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(defs))
            .set_key_schema(Some(key_schema(p.get("KeySchema"))?))
            .set_global_secondary_indexes((!gsis.is_empty()).then_some(gsis))
            .send()
            .await
            .map_err(|e| {
                aws_err(
                    format!("table {name}"),
                    aws_sdk_dynamodb::error::DisplayErrorContext(e),
                )
            })?;
        if let Some(ttl) = p.get("TimeToLiveSpecification") {
            if ttl.get("Enabled").and_then(Value::as_bool) == Some(true) {
                ddb.update_time_to_live()
                    .table_name(&name)
                    .time_to_live_specification(
                        TimeToLiveSpecification::builder()
                            .attribute_name(
                                ttl.get("AttributeName")
                                    .and_then(Value::as_str)
                                    .unwrap_or("ttl"),
                            )
                            .enabled(true)
                            .build()
                            .map_err(|e| ProvisionError::Template(e.to_string()))?,
                    )
                    .send()
                    .await
                    .map_err(|e| {
                        aws_err(
                            format!("ttl {name}"),
                            aws_sdk_dynamodb::error::DisplayErrorContext(e),
                        )
                    })?;
            }
        }
        r.arns.insert(
            id.clone(),
            format!("arn:aws:dynamodb:us-east-1:123456789012:table/{name}"),
        );
        r.refs.insert(id.clone(), name.clone());
        table_name = name;
    }

    // Queues: DLQs first (queues without a redrive policy), then the rest.
    let mut queues = BTreeMap::new();
    let mut all_queues = template.of_type("AWS::SQS::Queue");
    all_queues.sort_by_key(|(_, q)| {
        q.get("Properties")
            .and_then(|p| p.get("RedrivePolicy"))
            .is_some()
    });
    for (id, res) in all_queues {
        let p = res.get("Properties").cloned().unwrap_or(Value::Null);
        let name = match p.get("QueueName") {
            Some(v) => r.resolve(v)?,
            None => format!("{stack_name}-{id}"),
        };
        let visibility = p
            .get("VisibilityTimeout")
            .and_then(Value::as_i64)
            .unwrap_or(30) as i32;
        let mut req = sqs.create_queue().queue_name(&name).attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            visibility.to_string(),
        );
        let mut dlq = None;
        let mut max_receive = None;
        if let Some(rp) = p.get("RedrivePolicy") {
            let target = r.resolve(
                rp.get("deadLetterTargetArn")
                    .ok_or_else(|| ProvisionError::Template(format!("{id} redrive target")))?,
            )?;
            let count = rp
                .get("maxReceiveCount")
                .and_then(Value::as_u64)
                .unwrap_or(5) as u32;
            req = req.attributes(
                aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
                serde_json::json!({"deadLetterTargetArn": target, "maxReceiveCount": count})
                    .to_string(),
            );
            dlq = queues
                .values()
                .find(|q: &&QueueSpec| q.arn == target)
                .map(|q| q.logical_id.clone());
            max_receive = Some(count);
        }
        let url = req
            .send()
            .await
            .map_err(|e| {
                aws_err(
                    format!("queue {name}"),
                    aws_sdk_sqs::error::DisplayErrorContext(e),
                )
            })?
            .queue_url
            .unwrap_or_default();
        let arn = format!("arn:aws:sqs:us-east-1:123456789012:{name}");
        r.refs.insert(id.clone(), url.clone());
        r.arns.insert(id.clone(), arn.clone());
        queues.insert(
            id.clone(),
            QueueSpec {
                logical_id: id,
                url,
                arn,
                visibility_timeout: visibility,
                dlq,
                max_receive_count: max_receive,
            },
        );
    }

    // Bus and rules with SQS targets.
    let mut bus_name = String::new();
    for (id, res) in template.of_type("AWS::Events::EventBus") {
        let name = r.resolve(
            res.get("Properties")
                .and_then(|p| p.get("Name"))
                .ok_or_else(|| ProvisionError::Template(format!("{id}.Name")))?,
        )?;
        events
            .create_event_bus()
            .name(&name)
            .send()
            .await
            .map_err(|e| {
                aws_err(
                    format!("bus {name}"),
                    aws_sdk_eventbridge::error::DisplayErrorContext(e),
                )
            })?;
        r.refs.insert(id.clone(), name.clone());
        r.arns.insert(
            id.clone(),
            format!("arn:aws:events:us-east-1:123456789012:event-bus/{name}"),
        );
        bus_name = name;
    }
    for (id, res) in template.of_type("AWS::Events::Rule") {
        let p = res
            .get("Properties")
            .ok_or_else(|| ProvisionError::Template(format!("{id}.Properties")))?;
        let bus = match p.get("EventBusName") {
            Some(v) => r.resolve(v)?,
            None => "default".into(),
        };
        let rule = format!("{stack_name}-{id}");
        let pattern = p
            .get("EventPattern")
            .map(yaml_to_json)
            .map(|j| j.to_string());
        events
            .put_rule()
            .name(&rule)
            .event_bus_name(&bus)
            .set_event_pattern(pattern)
            .set_schedule_expression(
                p.get("ScheduleExpression")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
            .send()
            .await
            .map_err(|e| {
                aws_err(
                    format!("rule {rule}"),
                    aws_sdk_eventbridge::error::DisplayErrorContext(e),
                )
            })?;
        let mut targets = Vec::new();
        for t in p
            .get("Targets")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            targets.push(
                aws_sdk_eventbridge::types::Target::builder()
                    .id(t.get("Id").and_then(Value::as_str).unwrap_or("target"))
                    .arn(
                        r.resolve(t.get("Arn").ok_or_else(|| {
                            ProvisionError::Template(format!("{id} target Arn"))
                        })?)?,
                    )
                    .build()
                    .map_err(|e| ProvisionError::Template(e.to_string()))?,
            );
        }
        events
            .put_targets()
            .rule(&rule)
            .event_bus_name(&bus)
            .set_targets(Some(targets))
            .send()
            .await
            .map_err(|e| {
                aws_err(
                    format!("targets of {rule}"),
                    aws_sdk_eventbridge::error::DisplayErrorContext(e),
                )
            })?;
    }

    // Functions: environment (globals + own), event sources, schedules.
    let globals_env = template
        .root
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("Environment"))
        .and_then(|e| e.get("Variables"))
        .cloned();
    let global_timeout = template
        .root
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("Timeout"))
        .and_then(Value::as_u64)
        .unwrap_or(3);
    let mut functions = BTreeMap::new();
    for (id, res) in template.of_type("AWS::Serverless::Function") {
        let p = res.get("Properties").cloned().unwrap_or(Value::Null);
        let binary = res
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ProvisionError::Template(format!("{id}: Metadata.BuildProperties.Binary"))
            })?
            .to_string();
        let mut env = HashMap::new();
        for vars in [
            globals_env.as_ref(),
            p.get("Environment").and_then(|e| e.get("Variables")),
        ]
        .into_iter()
        .flatten()
        {
            for (k, v) in vars.as_mapping().into_iter().flatten() {
                if let Some(k) = k.as_str() {
                    env.insert(k.to_string(), r.resolve(v)?);
                }
            }
        }
        let mut spec = FunctionSpec {
            logical_id: id.clone(),
            binary,
            timeout_secs: p
                .get("Timeout")
                .and_then(Value::as_u64)
                .unwrap_or(global_timeout),
            sqs: vec![],
            schedules: vec![],
            http: vec![],
            env,
        };
        for (_, ev) in p
            .get("Events")
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
        {
            let props = ev.get("Properties").cloned().unwrap_or(Value::Null);
            match ev.get("Type").and_then(Value::as_str) {
                Some("SQS") => {
                    let arn = r.resolve(props.get("Queue").ok_or_else(|| {
                        ProvisionError::Template(format!("{id}: SQS event without Queue"))
                    })?)?;
                    let q = queues.values().find(|q| q.arn == arn).ok_or_else(|| {
                        ProvisionError::Template(format!("{id}: unknown queue {arn}"))
                    })?;
                    spec.sqs.push((
                        q.logical_id.clone(),
                        props.get("BatchSize").and_then(Value::as_i64).unwrap_or(10) as i32,
                    ));
                }
                Some("Schedule") | Some("ScheduleV2") => {
                    if let Some(s) = props
                        .get("Schedule")
                        .or(props.get("ScheduleExpression"))
                        .and_then(Value::as_str)
                    {
                        spec.schedules.push(s.to_string());
                    }
                }
                Some("HttpApi") => spec.http.push((
                    props
                        .get("Method")
                        .and_then(Value::as_str)
                        .unwrap_or("ANY")
                        .to_string(),
                    props
                        .get("Path")
                        .and_then(Value::as_str)
                        .unwrap_or("/")
                        .to_string(),
                )),
                _ => {}
            }
        }
        functions.insert(id, spec);
    }
    Ok(Provisioned {
        stack_name: stack_name.to_string(),
        table_name,
        bus_name,
        queues,
        functions,
    })
}

/// Removes a stack's table (tests clean up after themselves).
pub async fn delete_table(ddb: &aws_sdk_dynamodb::Client, table: &str) {
    if let Err(e) = ddb.delete_table().table_name(table).send().await {
        tracing::warn!(table, error = %aws_sdk_dynamodb::error::DisplayErrorContext(e), "could not delete table");
    }
}
