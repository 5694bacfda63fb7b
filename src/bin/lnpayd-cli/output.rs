//! Printing responses. JSON is protobuf's JSON mapping of the response as
//! the daemon sent it, applied by prost-reflect from the descriptor set the
//! crate already embeds (prost has no JSON of its own), with two choices
//! for scripts: proto field names (`amount_msat`, as the flags are named)
//! and 64-bit integers as numbers; every scalar, list and map field is
//! printed, defaults too, so each object has the same shape (an unset
//! message field, such as `paid_at` before payment, is left out). Tables
//! are built from that same JSON.

use std::io::Write;
use std::sync::OnceLock;

use comfy_table::{presets, Table};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use serde_json::{Map, Value};

use crate::args::Format;

fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(lnpayd::proto::FILE_DESCRIPTOR_SET)
            .expect("the embedded descriptor set is valid")
    })
}

/// `msg` (of the proto type `full_name`, e.g. `lnpayd.v1.Invoice`) as JSON.
pub fn to_json<M: Message>(msg: &M, full_name: &str) -> Value {
    let desc = pool()
        .get_message_by_name(full_name)
        .unwrap_or_else(|| panic!("{full_name} is in the descriptor set"));
    let dynamic = DynamicMessage::decode(desc, msg.encode_to_vec().as_slice())
        .expect("a message we just encoded decodes");
    let options = SerializeOptions::new()
        .use_proto_field_name(true)
        .stringify_64_bit_integers(false)
        .skip_default_fields(false);
    dynamic
        .serialize_with_options(serde_json::value::Serializer, &options)
        .expect("a dynamic message serialises")
}

/// Prints one response: a JSON line, or tables.
pub fn print<M: Message>(format: Format, msg: &M, full_name: &str) -> std::io::Result<()> {
    let json = to_json(msg, full_name);
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{json}"),
        Format::Table => write!(out, "{}", tables(&json)),
    }
}

/// The columns a stream prints in table mode, one line per event.
const EVENT_LINE: [(&str, usize); 6] = [
    ("SEQUENCE", 9),
    ("OCCURRED_AT", 25),
    ("TYPE", 9),
    ("INVOICE", 38),
    ("STATUS", 8),
    ("AMOUNT_MSAT", 0),
];

/// One event of a stream: a JSON line, or a line under a header printed once.
pub fn print_event(
    format: Format,
    event: &lnpayd::proto::Event,
    first: bool,
) -> std::io::Result<()> {
    let json = to_json(event, "lnpayd.v1.Event");
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{json}")?,
        Format::Table => {
            if first {
                let header: Vec<&str> = EVENT_LINE.iter().map(|c| c.0).collect();
                writeln!(out, "{}", pad(&header))?;
            }
            let inv = &json["invoice"];
            let cells = [
                cell(&json["sequence"]),
                cell(&json["occurred_at"]),
                cell(&json["type"]),
                cell(&inv["id"]),
                cell(&inv["status"]),
                cell(&inv["amount_msat"]),
            ];
            writeln!(out, "{}", pad(&cells))?;
        }
    }
    // A follower's reader (a pipe) sees each event as it is printed.
    out.flush()
}

fn pad<S: AsRef<str>>(cells: &[S]) -> String {
    let widths = EVENT_LINE.iter().map(|c| c.1);
    cells
        .iter()
        .zip(widths)
        .map(|(c, w)| format!("{:<w$}", c.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end()
        .to_string()
}

/// The columns worth a row for the lists whose items have many fields;
/// other lists show every field that fits in a cell.
fn columns_for(list: &str) -> Option<&'static [&'static str]> {
    Some(match list {
        "invoices" => &[
            "id",
            "status",
            "amount_msat",
            "amount_received_msat",
            "provider",
            "created_at",
            "description",
        ],
        "entries" => &[
            "at",
            "kind",
            "invoice_id",
            "provider",
            "action",
            "outcome",
            "duration_ms",
        ],
        "endpoints" => &[
            "id",
            "url",
            "enabled",
            "event_types",
            "backlog_seconds",
            "last_error",
        ],
        "deliveries" => &[
            "endpoint_id",
            "sequence",
            "event_type",
            "invoice_id",
            "state",
            "attempts",
            "next_attempt_at",
        ],
        _ => return None,
    })
}

/// A key/value table of the object's own fields (nested objects with dotted
/// keys), then one table per list of objects in it.
pub fn tables(json: &Value) -> String {
    let Value::Object(obj) = json else {
        return format!("{}\n", cell(json));
    };
    let mut fields = Vec::new();
    flatten("", obj, &mut fields);
    fields.sort_by_key(|(k, _)| !is_identity(k));
    let mut text = String::new();
    let shown: Vec<_> = fields.iter().filter(|(_, v)| !is_empty(v)).collect();
    if !shown.is_empty() {
        let mut t = table();
        for (k, v) in shown {
            t.add_row(vec![k.clone(), cell(v)]);
        }
        text.push_str(&format!("{t}\n"));
    }
    for (name, items) in obj
        .iter()
        .filter_map(|(k, v)| object_list(v).map(|l| (k, l)))
    {
        let columns: Vec<String> = match columns_for(name) {
            Some(c) => c.iter().map(|s| s.to_string()).collect(),
            None => scalar_keys(items),
        };
        let mut t = table();
        t.set_header(columns.iter().map(|c| c.to_uppercase()));
        for item in items {
            t.add_row(columns.iter().map(|c| cell(&item[c.as_str()])));
        }
        text.push_str(&format!("{name} ({}):\n{t}\n", items.len()));
    }
    text
}

fn table() -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    t
}

/// Fields that are not lists of objects, nested objects flattened.
fn flatten(prefix: &str, obj: &Map<String, Value>, out: &mut Vec<(String, Value)>) {
    for (k, v) in obj {
        let key = format!("{prefix}{k}");
        match v {
            _ if object_list(v).is_some() => {}
            // Maps (metadata, details) stay one cell: their keys are data.
            Value::Object(o) if !MAP_FIELDS.contains(&k.as_str()) => {
                flatten(&format!("{key}."), o, out)
            }
            _ => out.push((key, v.clone())),
        }
    }
}

/// The map fields of the API's messages: a JSON object like a nested
/// message, but its keys are data, so it stays in one cell.
const MAP_FIELDS: [&str; 4] = ["metadata", "details", "last_rates", "errors_by_kind"];

fn object_list(v: &Value) -> Option<&Vec<Value>> {
    match v {
        Value::Array(items) if items.first().is_some_and(Value::is_object) => Some(items),
        _ => None,
    }
}

fn scalar_keys(items: &[Value]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for item in items {
        let Value::Object(o) = item else { continue };
        for (k, v) in o {
            if object_list(v).is_none() && !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    keys.sort_by_key(|k| !is_identity(k));
    keys
}

/// serde_json's maps are sorted by key; what names a row reads best first.
fn is_identity(key: &str) -> bool {
    matches!(key, "id" | "name")
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Enum value names without their type's prefix: PAID, not INVOICE_STATUS_PAID.
const ENUM_PREFIXES: [&str; 6] = [
    "INVOICE_STATUS_",
    "EVENT_TYPE_INVOICE_",
    "EVENT_TYPE_",
    "WEBHOOK_DELIVERY_STATE_",
    "OVERALL_HEALTH_",
    "STORE_STATE_",
];

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => ENUM_PREFIXES
            .iter()
            .find_map(|p| s.strip_prefix(p))
            .unwrap_or(s)
            .to_string(),
        Value::Array(items) if items.first().is_some_and(Value::is_object) => {
            items.len().to_string()
        }
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(","),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{k}={}", cell(v)))
            .collect::<Vec<_>>()
            .join(" "),
        Value::Bool(_) | Value::Number(_) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use lnpayd::proto;

    use super::*;

    fn invoice() -> proto::Invoice {
        proto::Invoice {
            id: "inv_1".into(),
            amount_msat: 21_000,
            status: proto::InvoiceStatus::Paid as i32,
            metadata: [("order".to_string(), "42".to_string())].into(),
            created_at: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn json_uses_field_names_numbers_and_every_field() {
        let v = to_json(&invoice(), "lnpayd.v1.Invoice");
        assert_eq!(v["amount_msat"], 21_000);
        assert_eq!(v["status"], "INVOICE_STATUS_PAID");
        assert_eq!(v["created_at"], "2023-11-14T22:13:20Z");
        assert_eq!(v["paid_late"], false, "defaults are printed");
        assert_eq!(v["metadata"]["order"], "42");
    }

    #[test]
    fn a_list_is_a_table_with_its_columns() {
        let resp = proto::ListInvoicesResponse {
            invoices: vec![invoice()],
            next_page_token: "next".into(),
        };
        let text = tables(&to_json(&resp, "lnpayd.v1.ListInvoicesResponse"));
        assert!(text.contains("next_page_token"), "{text}");
        assert!(text.contains("invoices (1):"), "{text}");
        assert!(text.contains("AMOUNT_MSAT"), "{text}");
        assert!(
            text.contains("PAID") && !text.contains("INVOICE_STATUS_PAID"),
            "{text}"
        );
        assert!(!text.contains("PAYMENT_REQUEST"), "{text}");
    }

    #[test]
    fn map_fields_names_every_map_of_the_api() {
        let maps: std::collections::BTreeSet<String> = pool()
            .all_messages()
            .filter(|m| m.package_name() == "lnpayd.v1")
            .flat_map(|m| m.fields().collect::<Vec<_>>())
            .filter(|f| f.is_map())
            .map(|f| f.name().to_string())
            .collect();
        let listed = MAP_FIELDS.iter().map(|s| s.to_string()).collect();
        assert_eq!(maps, listed);
    }

    #[test]
    fn nested_messages_are_flattened_and_maps_stay_one_cell() {
        let text = tables(&to_json(&invoice(), "lnpayd.v1.Invoice"));
        assert!(text.contains("order=42"), "{text}");
        let event = proto::Event {
            sequence: 3,
            invoice: Some(invoice()),
            ..Default::default()
        };
        let text = tables(&to_json(&event, "lnpayd.v1.Event"));
        assert!(text.contains("invoice.amount_msat"), "{text}");
    }
}
