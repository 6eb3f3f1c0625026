//! Size-checked versions of the functions whose output size an argument controls.
//!
//! The memory pool only sees operators that buffer; a function such as `repeat('x', 600000000)` builds
//! its value in one go — even while planning, when DataFusion folds constants — so each of these
//! functions checks, before calling DataFusion's implementation, an upper bound of what it is asked to
//! build: at most [`Caps::max_value_bytes`] per value and [`Caps::max_batch_bytes`] per call over a
//! batch. Past a cap the call fails with `ResourcesExhausted` naming the function and the cap.
//!
//! [`CapFunctions`], an analyzer rule, replaces every call of those functions in a plan (however it was
//! made: by name, by an alias, by an operator such as `||` or `[…]`, in subqueries) with the checked
//! version, which keeps the function's name, signature and types. The table functions
//! `generate_series` / `range` are replaced by [`capped_series`] (at most [`Caps::max_series_rows`]
//! rows).
//!
//! | function | bound of one value |
//! |---|---|
//! | `repeat(s, n)` | `len(s) × n` |
//! | `lpad` / `rpad(s, n [, fill])` | `4 × n` (n characters of up to 4 bytes) |
//! | `concat`, `overlay`, `\|\|`, `array_append` / `_prepend` / `_concat`, `make_array`, `struct`, `named_struct`, `map` | the sum of the arguments |
//! | `concat_ws(sep, …)` | the sum of the arguments + one separator between two |
//! | `replace(s, from, to)` | `len(s) + (len(s) / len(from)) × len(to)` (`from` empty: `(len(s) + 1) × len(to)`) |
//! | `regexp_replace(s, re, to …)` | `len(s) + (len(s) + 1) × len(to) + len(to) / 2 × len(s)` (a match per position, references to groups) |
//! | `encode(b, …)` | `2 × len(b)` (hex) |
//! | `array_to_string(a, sep [, null])` | `size(a) + elements(a) × (len(sep) + len(null))` |
//! | `array_repeat(v, n)` | `n × (size(v) + 8)` |
//! | `array_resize(a, n [, v])` | `size(a) + n × (size(v) + 8)` |
//! | `range` / `generate_series` (lists) | `8 × elements`; at most `max_series_rows` elements |

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, FieldRef, Int64Type, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::type_coercion::binary::BinaryTypeCoercer;
use datafusion::logical_expr::{
    BinaryExpr, ColumnarValue, Documentation, Expr, LogicalPlan, Operator, ReturnFieldArgs,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TableProviderFilterPushDown,
    TableType, Volatility,
};
use datafusion::optimizer::AnalyzerRule;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{BinaryExpr as PhysicalBinary, Column};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties,
    ReplaceChildrenOptions, SendableRecordBatchStream,
};
use futures::StreamExt;

use super::limits::{Caps, exhausted, value_too_large};

/// How a checked function bounds its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bound {
    /// `repeat(s, n)`.
    Repeat,
    /// `lpad` / `rpad(s, n [, fill])`.
    Pad,
    /// The sum of the arguments.
    Sum,
    /// `concat_ws(sep, …)`.
    ConcatWs,
    /// `replace(s, from, to)`.
    Replace,
    /// `regexp_replace(s, re, to [, flags])`.
    RegexpReplace,
    /// `encode(b, format)`.
    Encode,
    /// `array_to_string(a, sep [, null])`.
    ArrayToString,
    /// `array_repeat(v, n)`.
    ArrayRepeat,
    /// `array_resize(a, n [, v])`.
    ArrayResize,
    /// `range` / `generate_series` as list functions (`inclusive`: `generate_series`).
    Range,
}

/// The bound of a function, by its (canonical) name.
pub fn bound_of(name: &str) -> Option<Bound> {
    Some(match name {
        "repeat" => Bound::Repeat,
        "lpad" | "rpad" => Bound::Pad,
        "concat" | "overlay" | "array_append" | "array_prepend" | "array_concat" | "make_array"
        | "struct" | "named_struct" | "map" => Bound::Sum,
        "concat_ws" => Bound::ConcatWs,
        "replace" => Bound::Replace,
        "regexp_replace" => Bound::RegexpReplace,
        "encode" => Bound::Encode,
        "array_to_string" => Bound::ArrayToString,
        "array_repeat" => Bound::ArrayRepeat,
        "array_resize" => Bound::ArrayResize,
        "range" | "generate_series" => Bound::Range,
        _ => return None,
    })
}

/// A function whose output is checked before DataFusion's implementation builds it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Capped {
    inner: Arc<ScalarUDF>,
    bound: Bound,
    caps: Caps,
}

impl Capped {
    /// `inner`, checked as `bound` says, within `caps`.
    pub fn new(inner: Arc<ScalarUDF>, bound: Bound, caps: Caps) -> Self {
        Capped { inner, bound, caps }
    }
}

impl ScalarUDFImpl for Capped {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }
    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        self.inner.inner().schema_name(args)
    }
    fn signature(&self) -> &Signature {
        self.inner.signature()
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.inner().return_type(arg_types)
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }
    fn is_nullable(&self, args: &[Expr], schema: &dyn datafusion::common::ExprSchema) -> bool {
        #[allow(deprecated)]
        self.inner.inner().is_nullable(args, schema)
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.inner().coerce_types(arg_types)
    }
    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        check(
            self.name(),
            self.bound,
            &self.caps,
            &args.args,
            args.number_rows,
        )?;
        self.inner.invoke_with_args(args)
    }
}

/// `l || r`, checked (the sum of both sides) and then evaluated as DataFusion evaluates the operator.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CappedConcatOp {
    signature: Signature,
    caps: Caps,
}

impl CappedConcatOp {
    /// The checked `||`.
    pub fn new(caps: Caps) -> Self {
        CappedConcatOp {
            signature: Signature::any(2, Volatility::Immutable),
            caps,
        }
    }
}

impl ScalarUDFImpl for CappedConcatOp {
    fn name(&self) -> &str {
        "||"
    }
    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        // the name of the operator it replaces, so the plan's column names stay the same
        match args {
            [l, r] => Ok(format!("{} || {}", l.schema_name(), r.schema_name())),
            _ => Err(DataFusionError::Internal("|| takes two arguments".into())),
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [l, r] => BinaryTypeCoercer::new(l, &Operator::StringConcat, r).get_result_type(),
            _ => Err(DataFusionError::Internal("|| takes two arguments".into())),
        }
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        check("||", Bound::Sum, &self.caps, &args.args, args.number_rows)?;
        let scalars = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if scalars { 1 } else { args.number_rows };
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let fields: Vec<Field> = arrays
            .iter()
            .enumerate()
            .map(|(i, a)| Field::new(format!("c{i}"), a.data_type().clone(), true))
            .collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?;
        let expr = PhysicalBinary::new(
            Arc::new(Column::new("c0", 0)),
            Operator::StringConcat,
            Arc::new(Column::new("c1", 1)),
        );
        let out = expr.evaluate(&batch)?;
        if scalars {
            let a = out.to_array(1)?;
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&a, 0)?));
        }
        Ok(out)
    }
}

/// The analyzer rule putting the checked functions in place of DataFusion's (see the module doc).
#[derive(Debug)]
pub struct CapFunctions {
    caps: Caps,
}

impl CapFunctions {
    /// The rule for these caps.
    pub fn new(caps: Caps) -> Self {
        CapFunctions { caps }
    }

    fn rewrite(&self, e: Expr) -> Result<Transformed<Expr>> {
        match e {
            Expr::ScalarFunction(f) => {
                let inner = f.func.inner().as_ref() as &dyn Any;
                if inner.is::<Capped>() || inner.is::<CappedConcatOp>() {
                    return Ok(Transformed::no(Expr::ScalarFunction(f)));
                }
                let Some(bound) = bound_of(f.func.name()) else {
                    return Ok(Transformed::no(Expr::ScalarFunction(f)));
                };
                let capped =
                    ScalarUDF::new_from_impl(Capped::new(f.func.clone(), bound, self.caps));
                Ok(Transformed::yes(Expr::ScalarFunction(
                    ScalarFunction::new_udf(Arc::new(capped), f.args),
                )))
            }
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::StringConcat,
                right,
            }) => {
                let op = ScalarUDF::new_from_impl(CappedConcatOp::new(self.caps));
                Ok(Transformed::yes(Expr::ScalarFunction(
                    ScalarFunction::new_udf(Arc::new(op), vec![*left, *right]),
                )))
            }
            other => Ok(Transformed::no(other)),
        }
    }
}

impl AnalyzerRule for CapFunctions {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|p| {
            p.map_expressions(|e| e.transform_up(|e| self.rewrite(e)))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "igflight_cap_functions"
    }
}

// ---------------------------------------------------------------------------------------------
// Sizes

/// The size of one argument, per row (one value for a scalar).
enum Sizes {
    One(u128),
    Rows(Vec<u128>),
}

impl Sizes {
    fn get(&self, i: usize) -> u128 {
        match self {
            Sizes::One(v) => *v,
            Sizes::Rows(v) => v.get(i).copied().unwrap_or(0),
        }
    }
}

/// An integer argument, per row (null: `None`).
enum Ints {
    One(Option<i64>),
    Rows(Vec<Option<i64>>),
}

impl Ints {
    fn get(&self, i: usize) -> Option<i64> {
        match self {
            Ints::One(v) => *v,
            Ints::Rows(v) => v.get(i).copied().flatten(),
        }
    }
}

fn sizes_of(v: &ColumnarValue) -> Result<Sizes> {
    Ok(match v {
        ColumnarValue::Scalar(s) => {
            let a = s.to_array_of_size(1)?;
            Sizes::One(row_sizes(a.as_ref()).first().copied().unwrap_or(0))
        }
        ColumnarValue::Array(a) => Sizes::Rows(row_sizes(a.as_ref())),
    })
}

/// Number of elements of a list argument, per row.
fn elements_of(v: &ColumnarValue) -> Result<Sizes> {
    let count = |a: &ArrayRef| -> Vec<u128> {
        match a.data_type() {
            DataType::List(_) => {
                let l = a.as_list::<i32>();
                (0..l.len())
                    .map(|i| l.value_length(i).max(0) as u128)
                    .collect()
            }
            DataType::LargeList(_) => {
                let l = a.as_list::<i64>();
                (0..l.len())
                    .map(|i| l.value_length(i).max(0) as u128)
                    .collect()
            }
            DataType::FixedSizeList(_, n) => vec![(*n).max(0) as u128; a.len()],
            _ => vec![1; a.len()],
        }
    };
    Ok(match v {
        ColumnarValue::Scalar(s) => {
            Sizes::One(count(&s.to_array_of_size(1)?).first().copied().unwrap_or(0))
        }
        ColumnarValue::Array(a) => Sizes::Rows(count(a)),
    })
}

fn ints_of(v: &ColumnarValue) -> Result<Ints> {
    Ok(match v {
        ColumnarValue::Scalar(s) => Ints::One(match s.cast_to(&DataType::Int64) {
            Ok(ScalarValue::Int64(v)) => v,
            _ => None,
        }),
        ColumnarValue::Array(a) => match arrow::compute::cast(a, &DataType::Int64) {
            Ok(c) => Ints::Rows(c.as_primitive::<Int64Type>().iter().collect()),
            Err(_) => Ints::Rows(Vec::new()),
        },
    })
}

/// Byte lengths of the values of a string or binary array with offsets (nulls are 0 long).
fn offset_lengths<T: arrow::datatypes::ByteArrayType>(
    a: &arrow::array::GenericByteArray<T>,
) -> Vec<u128> {
    (0..a.len())
        .map(|i| {
            arrow::datatypes::ArrowNativeType::to_usize(a.value_length(i)).unwrap_or(0) as u128
        })
        .collect()
}

/// Byte lengths of the values of a string or binary view array (nulls are 0 long).
fn view_lengths<T: arrow::datatypes::ByteViewType + ?Sized>(
    a: &arrow::array::GenericByteViewArray<T>,
) -> Vec<u128> {
    (0..a.len())
        .map(|i| {
            if a.is_null(i) {
                0
            } else {
                AsRef::<[u8]>::as_ref(a.value(i)).len() as u128
            }
        })
        .collect()
}

/// The bytes of each row of `a`: string and binary lengths, list and struct contents (8 bytes an
/// element besides), fixed-width values.
pub fn row_sizes(a: &dyn Array) -> Vec<u128> {
    let n = a.len();
    fn lists<O: arrow::array::OffsetSizeTrait>(l: &arrow::array::GenericListArray<O>) -> Vec<u128> {
        let child = row_sizes(l.values().as_ref());
        let mut prefix = Vec::with_capacity(child.len() + 1);
        prefix.push(0u128);
        for c in &child {
            prefix.push(prefix.last().copied().unwrap_or(0).saturating_add(*c));
        }
        let offsets = l.value_offsets();
        (0..l.len())
            .map(|i| {
                let (s, e) = (offsets[i].as_usize(), offsets[i + 1].as_usize());
                let s = s.min(child.len());
                let e = e.min(child.len()).max(s);
                (prefix[e] - prefix[s]).saturating_add(8 * (e - s) as u128)
            })
            .collect()
    }
    match a.data_type() {
        DataType::Utf8 => offset_lengths(a.as_string::<i32>()),
        DataType::LargeUtf8 => offset_lengths(a.as_string::<i64>()),
        DataType::Utf8View => view_lengths(a.as_string_view()),
        DataType::Binary => offset_lengths(a.as_binary::<i32>()),
        DataType::LargeBinary => offset_lengths(a.as_binary::<i64>()),
        DataType::BinaryView => view_lengths(a.as_binary_view()),
        DataType::FixedSizeBinary(w) => vec![(*w).max(0) as u128; n],
        DataType::List(_) => lists(a.as_list::<i32>()),
        DataType::LargeList(_) => lists(a.as_list::<i64>()),
        DataType::FixedSizeList(_, k) => {
            let l = a.as_fixed_size_list();
            let child = row_sizes(l.values().as_ref());
            let k = (*k).max(0) as usize;
            (0..n)
                .map(|i| {
                    let start = (i * k).min(child.len());
                    let end = (start + k).min(child.len());
                    child[start..end].iter().sum::<u128>() + 8 * k as u128
                })
                .collect()
        }
        DataType::Struct(_) => {
            let s = a.as_struct();
            let mut out = vec![0u128; n];
            for c in s.columns() {
                for (o, v) in out.iter_mut().zip(row_sizes(c.as_ref())) {
                    *o = o.saturating_add(v);
                }
            }
            out
        }
        DataType::Map(_, _) => {
            let m = a.as_map();
            let child = row_sizes(m.entries());
            let offsets = m.value_offsets();
            (0..n)
                .map(|i| {
                    let (s, e) = (offsets[i] as usize, offsets[i + 1] as usize);
                    let s = s.min(child.len());
                    let e = e.min(child.len()).max(s);
                    child[s..e].iter().sum::<u128>() + 8 * (e - s) as u128
                })
                .collect()
        }
        t => vec![t.primitive_width().unwrap_or(8) as u128; n],
    }
}

// ---------------------------------------------------------------------------------------------
// Bounds

/// Refuse the call when the bound of one value passes `max_value_bytes` or the bound of all rows
/// passes `max_batch_bytes`; `range` / `generate_series` also when a list passes `max_series_rows`.
fn check(name: &str, bound: Bound, caps: &Caps, args: &[ColumnarValue], rows: usize) -> Result<()> {
    let scalars = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    let rows = if scalars { 1 } else { rows };
    let size =
        |k: usize| -> Result<Sizes> { args.get(k).map(sizes_of).unwrap_or(Ok(Sizes::One(0))) };
    let int =
        |k: usize| -> Result<Ints> { args.get(k).map(ints_of).unwrap_or(Ok(Ints::One(None))) };
    let count = |v: Option<i64>| v.unwrap_or(0).max(0) as u128;
    let per_row: Box<dyn Fn(usize) -> Result<u128>> = match bound {
        Bound::Repeat => {
            let (s, n) = (size(0)?, int(1)?);
            Box::new(move |i| Ok(s.get(i).saturating_mul(count(n.get(i)))))
        }
        Bound::Pad => {
            let n = int(1)?;
            Box::new(move |i| Ok(4u128.saturating_mul(count(n.get(i)))))
        }
        Bound::Sum => {
            let all = (0..args.len()).map(size).collect::<Result<Vec<_>>>()?;
            Box::new(move |i| {
                Ok(all.iter().fold(0u128, |acc, s| {
                    acc.saturating_add(s.get(i)).saturating_add(8)
                }))
            })
        }
        Bound::ConcatWs => {
            let all = (0..args.len()).map(size).collect::<Result<Vec<_>>>()?;
            let seps = args.len().saturating_sub(2) as u128;
            Box::new(move |i| {
                let parts = all[1..]
                    .iter()
                    .fold(0u128, |acc, s| acc.saturating_add(s.get(i)));
                Ok(parts.saturating_add(seps.saturating_mul(all.first().map_or(0, |s| s.get(i)))))
            })
        }
        Bound::Replace => {
            let (s, f, t) = (size(0)?, size(1)?, size(2)?);
            Box::new(move |i| {
                let (s, f, t) = (s.get(i), f.get(i), t.get(i));
                let matches = s.checked_div(f).unwrap_or_else(|| s.saturating_add(1));
                Ok(s.saturating_add(matches.saturating_mul(t)))
            })
        }
        Bound::RegexpReplace => {
            let (s, t) = (size(0)?, size(2)?);
            Box::new(move |i| {
                let (s, t) = (s.get(i), t.get(i));
                Ok(s.saturating_add(s.saturating_add(1).saturating_mul(t))
                    .saturating_add((t / 2).saturating_mul(s)))
            })
        }
        Bound::Encode => {
            let s = size(0)?;
            Box::new(move |i| Ok(s.get(i).saturating_mul(2).saturating_add(4)))
        }
        Bound::ArrayToString => {
            let (a, sep, null) = (size(0)?, size(1)?, size(2)?);
            let n = args.first().map(elements_of).unwrap_or(Ok(Sizes::One(0)))?;
            Box::new(move |i| {
                Ok(a.get(i).saturating_add(
                    n.get(i)
                        .saturating_mul(sep.get(i).saturating_add(null.get(i))),
                ))
            })
        }
        Bound::ArrayRepeat => {
            let (v, n) = (size(0)?, int(1)?);
            Box::new(move |i| Ok(count(n.get(i)).saturating_mul(v.get(i).saturating_add(8))))
        }
        Bound::ArrayResize => {
            let (a, n) = (size(0)?, int(1)?);
            let v = if args.len() > 2 {
                size(2)?
            } else {
                Sizes::One(8)
            };
            Box::new(move |i| {
                Ok(a.get(i)
                    .saturating_add(count(n.get(i)).saturating_mul(v.get(i).saturating_add(8))))
            })
        }
        Bound::Range => Box::new(|i| {
            let n = range_len(args, i);
            if n > u128::from(caps.max_series_rows) {
                return Err(exhausted(format!(
                    "{name}() would build a list of {n} elements, more than the SQL series limit of {} rows",
                    caps.max_series_rows
                )));
            }
            Ok(n.saturating_mul(8))
        }),
    };
    let mut total = 0u128;
    for i in 0..rows {
        let b = per_row(i)?;
        if b > caps.max_value_bytes as u128 {
            return Err(value_too_large(name, b, caps, false));
        }
        total = total.saturating_add(b);
        if total > caps.max_batch_bytes as u128 {
            return Err(value_too_large(name, total, caps, true));
        }
    }
    Ok(())
}

/// A time or integer argument of `range` as an integer of nanoseconds (integers as they are).
fn range_point(v: &ScalarValue) -> Option<i128> {
    Some(match v {
        ScalarValue::Int64(Some(x)) => i128::from(*x),
        ScalarValue::Int32(Some(x)) => i128::from(*x),
        ScalarValue::Date32(Some(d)) => i128::from(*d) * 86_400 * 1_000_000_000,
        ScalarValue::Date64(Some(ms)) => i128::from(*ms) * 1_000_000,
        ScalarValue::TimestampSecond(Some(x), _) => i128::from(*x) * 1_000_000_000,
        ScalarValue::TimestampMillisecond(Some(x), _) => i128::from(*x) * 1_000_000,
        ScalarValue::TimestampMicrosecond(Some(x), _) => i128::from(*x) * 1_000,
        ScalarValue::TimestampNanosecond(Some(x), _) => i128::from(*x),
        _ => return None,
    })
}

/// The shortest length of a step of `range` (nanoseconds for intervals; a month counts 28 days).
fn range_step(v: &ScalarValue) -> Option<i128> {
    const DAY: i128 = 86_400 * 1_000_000_000;
    Some(match v {
        ScalarValue::Int64(Some(x)) => i128::from(*x),
        ScalarValue::Int32(Some(x)) => i128::from(*x),
        ScalarValue::IntervalMonthDayNano(Some(i)) => {
            let (m, d, n) = (
                i128::from(i.months),
                i128::from(i.days),
                i128::from(i.nanoseconds),
            );
            let month = if m >= 0 { 28 * DAY } else { 31 * DAY };
            m * month + d * DAY + n
        }
        ScalarValue::IntervalDayTime(Some(i)) => {
            i128::from(i.days) * DAY + i128::from(i.milliseconds) * 1_000_000
        }
        ScalarValue::IntervalYearMonth(Some(m)) => {
            let m = i128::from(*m);
            m * if m >= 0 { 28 * DAY } else { 31 * DAY }
        }
        _ => return None,
    })
}

/// An upper bound of the elements of `range(args)` / `generate_series(args)` at row `i` (0 when
/// unknown: a null or a type without a bound, which DataFusion refuses or answers empty).
fn range_len(args: &[ColumnarValue], i: usize) -> u128 {
    let value = |k: usize| -> Option<ScalarValue> {
        match args.get(k)? {
            ColumnarValue::Scalar(s) => Some(s.clone()),
            ColumnarValue::Array(a) => ScalarValue::try_from_array(a, i).ok(),
        }
    };
    let (start, stop, step) = match args.len() {
        1 => (Some(0), value(0).as_ref().and_then(range_point), Some(1)),
        2 => (
            value(0).as_ref().and_then(range_point),
            value(1).as_ref().and_then(range_point),
            Some(1),
        ),
        _ => (
            value(0).as_ref().and_then(range_point),
            value(1).as_ref().and_then(range_point),
            value(2).as_ref().and_then(range_step),
        ),
    };
    let (Some(start), Some(stop), Some(step)) = (start, stop, step) else {
        return 0;
    };
    if step == 0 {
        return 0;
    }
    let span = stop - start;
    if span != 0 && (span > 0) != (step > 0) {
        return 0;
    }
    (span.unsigned_abs() / step.unsigned_abs()).saturating_add(1)
}

// ---------------------------------------------------------------------------------------------
// Table functions

/// `generate_series` / `range` (the table functions) with at most `max_rows` rows: the query fails
/// with `ResourcesExhausted` when the series passes it.
#[derive(Debug)]
pub struct CappedSeries {
    name: String,
    inner: Arc<dyn TableFunctionImpl>,
    max_rows: u64,
}

/// The checked version of the table function `inner` named `name`.
pub fn capped_series(name: &str, inner: Arc<dyn TableFunctionImpl>, max_rows: u64) -> CappedSeries {
    CappedSeries {
        name: name.to_string(),
        inner,
        max_rows,
    }
}

impl TableFunctionImpl for CappedSeries {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let table = self.inner.call_with_args(args)?;
        Ok(Arc::new(RowCapTable {
            name: self.name.clone(),
            inner: table,
            max_rows: self.max_rows,
        }))
    }
}

#[derive(Debug)]
struct RowCapTable {
    name: String,
    inner: Arc<dyn TableProvider>,
    max_rows: u64,
}

#[async_trait]
impl TableProvider for RowCapTable {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = self.inner.scan(state, projection, filters, limit).await?;
        Ok(Arc::new(RowCapExec {
            name: self.name.clone(),
            input,
            max_rows: self.max_rows,
            seen: Arc::new(AtomicU64::new(0)),
        }))
    }
}

/// Passes the rows of `input` through and fails once they pass `max_rows` (all partitions together:
/// DataFusion may split the series below this node).
#[derive(Debug)]
struct RowCapExec {
    name: String,
    input: Arc<dyn ExecutionPlan>,
    max_rows: u64,
    seen: Arc<AtomicU64>,
}

impl DisplayAs for RowCapExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "RowCapExec: {}, max_rows={}", self.name, self.max_rows)
    }
}

impl ExecutionPlan for RowCapExec {
    fn name(&self) -> &str {
        "RowCapExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let [input] = <[Arc<dyn ExecutionPlan>; 1]>::try_from(children)
            .map_err(|_| DataFusionError::Internal("RowCapExec has one child".into()))?;
        Ok(Arc::new(RowCapExec {
            name: self.name.clone(),
            input,
            max_rows: self.max_rows,
            seen: self.seen.clone(),
        }))
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(
            children,
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let schema = input.schema();
        let (max, name, seen) = (self.max_rows, self.name.clone(), self.seen.clone());
        let stream = input.map(move |b| {
            let b = b?;
            let n = b.num_rows() as u64;
            let total = seen.fetch_add(n, Ordering::Relaxed).saturating_add(n);
            if total > max {
                return Err(exhausted(format!(
                    "{name}() generates more than the SQL series limit of {max} rows"
                )));
            }
            Ok(b)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_before_building() {
        let caps = Caps {
            max_value_bytes: 1000,
            max_batch_bytes: 10_000,
            max_series_rows: 100,
        };
        let s = |v: &str| ColumnarValue::Scalar(ScalarValue::Utf8(Some(v.into())));
        let n = |v: i64| ColumnarValue::Scalar(ScalarValue::Int64(Some(v)));
        assert!(check("repeat", Bound::Repeat, &caps, &[s("ab"), n(500)], 1).is_ok());
        assert!(check("repeat", Bound::Repeat, &caps, &[s("ab"), n(501)], 1).is_err());
        assert!(check("repeat", Bound::Repeat, &caps, &[s("ab"), n(i64::MAX)], 1).is_err());
        assert!(check("repeat", Bound::Repeat, &caps, &[s("ab"), n(-5)], 1).is_ok());
        assert!(check("lpad", Bound::Pad, &caps, &[s("a"), n(251)], 1).is_err());
        assert!(check("range", Bound::Range, &caps, &[n(0), n(99)], 1).is_ok());
        assert!(check("range", Bound::Range, &caps, &[n(i64::MIN), n(i64::MAX)], 1).is_err());
        assert!(check("range", Bound::Range, &caps, &[n(0), n(i64::MAX), n(-1)], 1).is_ok());
        // per batch: 20 rows of 600 bytes
        let col = ColumnarValue::Array(Arc::new(arrow::array::StringArray::from(vec![
            "x".repeat(
                600
            );
            20
        ])));
        assert!(check("concat", Bound::Sum, &caps, std::slice::from_ref(&col), 20).is_err());
        assert!(check("concat", Bound::Sum, &caps, &[col, s("")], 10).is_ok());
    }
}
