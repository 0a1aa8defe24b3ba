//! The e-graph language of kiln's array graph and its text form.
//!
//! Every graph op is an e-node. Op attributes that rules must match generically (target shapes,
//! permutations, slice specs, reduced axes, cast dtypes, constant values) are separate attribute
//! leaves (`ArrayLang::Attr`) placed before the array operands, so one egg pattern such as
//! `(reshape ?s2 (reshape ?s1 ?x))` covers every shape. Attributes that no rule inspects
//! (unary/binary/reduce op kind, scan axis, generator parameters) stay inside the node.
//!
//! Text form (one token per leaf, parsed back by `FromOp`):
//! `input#0:f32[2,3]`, `(full 1.0:f32 [2,3])`, `(add a b)`, `(cast f64 x)`, `(reshape [6] x)`,
//! `(permute [1,0] x)`, `(broadcast [4,3] x)`, `(slice <0:1:2,2:-1:3> x)`, `(reduce.sum [0] x)`,
//! `(cumsum[1] x)`, `(matmul a b)`, `arange[0:i64,1:i64,5]`, `eye[3,3,0,f32]`, `(outputs a b)`.
//!
//! Invariant: attribute children always come first, so `ArrayLang::operands` is a suffix of the
//! children; `Ord`/`Eq`/`Hash` agree (constants compare by dtype and bit pattern, as `Scalar`).

use egg::{FromOp, Id, Language};
use kiln_ir::{BinaryOp, DType, LibOp, ReduceOp, Scalar, ScanOp, Shape, SliceAxis, UnaryOp};
use std::cmp::Ordering;
use std::fmt;

/// A constant with a total order, so it can live in an e-node (`Scalar` has no `Ord`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Const(pub Scalar);

impl Const {
    /// Dtype index and bit pattern: injective per dtype and consistent with `Scalar`'s `Eq`.
    fn key(&self) -> (DType, u64, u64) {
        let bits = match self.0 {
            Scalar::Bool(v) => (v as u64, 0),
            Scalar::I8(v) => (v as i64 as u64, 0),
            Scalar::I16(v) => (v as i64 as u64, 0),
            Scalar::I32(v) => (v as i64 as u64, 0),
            Scalar::I64(v) => (v as u64, 0),
            Scalar::U8(v) => (v as u64, 0),
            Scalar::U16(v) => (v as u64, 0),
            Scalar::U32(v) => (v as u64, 0),
            Scalar::U64(v) => (v, 0),
            Scalar::F32(v) => (v.to_bits() as u64, 0),
            Scalar::F64(v) => (v.to_bits(), 0),
            Scalar::C64(v) => (v.re.to_bits() as u64, v.im.to_bits() as u64),
            Scalar::C128(v) => (v.re.to_bits(), v.im.to_bits()),
        };
        (self.0.dtype(), bits.0, bits.1)
    }
}

impl PartialOrd for Const {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Const {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for Const {
    /// `Scalar`'s text form, except complex values drop their parentheses (`1+2j:c64`) so the
    /// token survives s-expression parsing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        match text.strip_prefix('(') {
            Some(rest) => f.write_str(&rest.replacen("j)", "j", 1)),
            None => f.write_str(&text),
        }
    }
}

impl std::str::FromStr for Const {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (value, dtype) = s
            .rsplit_once(':')
            .ok_or_else(|| format!("constant `{s}` lacks `:dtype`"))?;
        let complex = DType::from_name(dtype).is_some_and(DType::is_complex);
        let text = if complex && !value.starts_with('(') {
            format!("({value}):{dtype}")
        } else {
            s.to_string()
        };
        text.parse::<Scalar>().map(Const)
    }
}

/// An attribute leaf: data a rule may inspect or compute, never an array.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attr {
    /// A constant value (of `full`).
    Value(Const),
    /// A list of extents or axes: target shapes, permutations, reduced axes. Text `[2,3]`.
    Dims(Vec<usize>),
    /// Slice specs, one per axis. Text `<start:step:len,...>` (braces would be quoted by egg's printer).
    Slices(Vec<SliceAxis>),
    /// Target dtype of a cast. Text `f32`.
    DType(DType),
}

impl fmt::Display for Attr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attr::Value(c) => write!(f, "{c}"),
            Attr::Dims(d) => write!(f, "{}", Shape(d.clone())),
            Attr::Slices(axes) => {
                f.write_str("<")?;
                for (i, s) in axes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{}:{}", s.start, s.step, s.len)?;
                }
                f.write_str(">")
            }
            Attr::DType(d) => f.write_str(d.short_name()),
        }
    }
}

/// A realized input read by the program: its slot and type (so the analysis needs no side table).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InputLeaf {
    pub slot: usize,
    pub dtype: DType,
    pub shape: Shape,
}

/// One e-node of kiln's array graph.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArrayLang {
    Input(InputLeaf),
    Attr(Attr),
    /// `(full value dims)`.
    Full([Id; 2]),
    Arange {
        start: Const,
        step: Const,
        len: usize,
    },
    Eye {
        rows: usize,
        cols: usize,
        k: i64,
        dtype: DType,
    },
    Unary(UnaryOp, [Id; 1]),
    Binary(BinaryOp, [Id; 2]),
    /// `(where cond a b)`.
    Where([Id; 3]),
    /// `(cast dtype x)`.
    Cast([Id; 2]),
    /// `(reshape dims x)`.
    Reshape([Id; 2]),
    /// `(permute perm x)`.
    Permute([Id; 2]),
    /// `(broadcast dims x)`.
    Broadcast([Id; 2]),
    /// `(slice slices x)`.
    Slice([Id; 2]),
    /// `(reduce.op axes x)`.
    Reduce(ReduceOp, [Id; 2]),
    /// `(cumsum[axis] x)`.
    Scan(ScanOp, usize, [Id; 1]),
    MatMul([Id; 2]),
    /// `(concat[axis,n] x..)`, `(take[axis] x i)`, `(sort[axis,asc] x)`, ...: opaque.
    Lib(LibOp, Vec<Id>),
    /// The root tying every program output together, in order.
    Outputs(Vec<Id>),
}

impl ArrayLang {
    /// The array operands (children after the attribute leaves).
    pub fn operands(&self) -> &[Id] {
        match self {
            ArrayLang::Input(_)
            | ArrayLang::Attr(_)
            | ArrayLang::Full(_)
            | ArrayLang::Arange { .. }
            | ArrayLang::Eye { .. } => &[],
            ArrayLang::Cast(c)
            | ArrayLang::Reshape(c)
            | ArrayLang::Permute(c)
            | ArrayLang::Broadcast(c)
            | ArrayLang::Slice(c)
            | ArrayLang::Reduce(_, c) => &c[1..],
            _ => self.children(),
        }
    }

    /// The attribute children (a prefix of the children).
    pub fn attr_children(&self) -> &[Id] {
        let all = self.children();
        &all[..all.len() - self.operands().len()]
    }
}

impl Language for ArrayLang {
    type Discriminant = std::mem::Discriminant<Self>;

    fn discriminant(&self) -> Self::Discriminant {
        std::mem::discriminant(self)
    }

    fn matches(&self, other: &Self) -> bool {
        use ArrayLang::*;
        match (self, other) {
            (Input(a), Input(b)) => a == b,
            (Attr(a), Attr(b)) => a == b,
            (a @ Arange { .. }, b @ Arange { .. }) | (a @ Eye { .. }, b @ Eye { .. }) => a == b,
            (Full(_), Full(_))
            | (Where(_), Where(_))
            | (Cast(_), Cast(_))
            | (Reshape(_), Reshape(_))
            | (Permute(_), Permute(_))
            | (Broadcast(_), Broadcast(_))
            | (Slice(_), Slice(_))
            | (MatMul(_), MatMul(_)) => true,
            (Unary(a, _), Unary(b, _)) => a == b,
            (Binary(a, _), Binary(b, _)) => a == b,
            (Reduce(a, _), Reduce(b, _)) => a == b,
            (Scan(a, x, _), Scan(b, y, _)) => a == b && x == y,
            (Lib(a, x), Lib(b, y)) => a == b && x.len() == y.len(),
            (Outputs(a), Outputs(b)) => a.len() == b.len(),
            _ => false,
        }
    }

    fn children(&self) -> &[Id] {
        use ArrayLang::*;
        match self {
            Input(_) | Attr(_) | Arange { .. } | Eye { .. } => &[],
            Unary(_, c) | Scan(_, _, c) => c,
            Full(c) | Cast(c) | Reshape(c) | Permute(c) | Broadcast(c) | Slice(c) | MatMul(c) => c,
            Binary(_, c) | Reduce(_, c) => c,
            Where(c) => c,
            Outputs(c) | Lib(_, c) => c,
        }
    }

    fn children_mut(&mut self) -> &mut [Id] {
        use ArrayLang::*;
        match self {
            Input(_) | Attr(_) | Arange { .. } | Eye { .. } => &mut [],
            Unary(_, c) | Scan(_, _, c) => c,
            Full(c) | Cast(c) | Reshape(c) | Permute(c) | Broadcast(c) | Slice(c) | MatMul(c) => c,
            Binary(_, c) | Reduce(_, c) => c,
            Where(c) => c,
            Outputs(c) | Lib(_, c) => c,
        }
    }
}

impl fmt::Display for ArrayLang {
    /// The operator token (children are printed by `RecExpr`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ArrayLang::*;
        match self {
            Input(leaf) => write!(
                f,
                "input#{}:{}{}",
                leaf.slot,
                leaf.dtype.short_name(),
                leaf.shape
            ),
            Attr(a) => write!(f, "{a}"),
            Full(_) => f.write_str("full"),
            Arange { start, step, len } => write!(f, "arange[{start},{step},{len}]"),
            Eye {
                rows,
                cols,
                k,
                dtype,
            } => write!(f, "eye[{rows},{cols},{k},{}]", dtype.short_name()),
            Unary(op, _) => f.write_str(op.name()),
            Binary(op, _) => f.write_str(op.name()),
            Where(_) => f.write_str("where"),
            Cast(_) => f.write_str("cast"),
            Reshape(_) => f.write_str("reshape"),
            Permute(_) => f.write_str("permute"),
            Broadcast(_) => f.write_str("broadcast"),
            Slice(_) => f.write_str("slice"),
            Reduce(op, _) => write!(f, "reduce.{}", op.name()),
            Scan(op, axis, _) => write!(f, "{}[{axis}]", op.name()),
            MatMul(_) => f.write_str("matmul"),
            Lib(op, _) => write!(f, "{op}"),
            Outputs(_) => f.write_str("outputs"),
        }
    }
}

/// Why a token does not name an e-node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot parse `{token}` with {children} children: {detail}")]
pub struct ParseNodeError {
    pub token: String,
    pub children: usize,
    pub detail: String,
}

impl FromOp for ArrayLang {
    type Error = ParseNodeError;

    fn from_op(op: &str, children: Vec<Id>) -> Result<Self, Self::Error> {
        let fail = |detail: &str| ParseNodeError {
            token: op.to_string(),
            children: children.len(),
            detail: detail.to_string(),
        };
        let node = if children.is_empty() {
            parse_leaf(op).map_err(|d| fail(&d))?
        } else {
            parse_inner(op, &children).ok_or_else(|| fail("unknown operator or arity"))?
        };
        Ok(node)
    }
}

fn parse_leaf(token: &str) -> Result<ArrayLang, String> {
    if let Some(rest) = token.strip_prefix("input#") {
        let (slot, ty) = rest.split_once(':').ok_or("input lacks `:dtype[shape]`")?;
        let open = ty.find('[').ok_or("input lacks a shape")?;
        let dtype = DType::from_name(&ty[..open]).ok_or("unknown input dtype")?;
        let shape = parse_dims(&ty[open..])?;
        let slot = slot.parse().map_err(|_| "bad input slot".to_string())?;
        return Ok(ArrayLang::Input(InputLeaf {
            slot,
            dtype,
            shape: Shape(shape),
        }));
    }
    if let Some(body) = token
        .strip_prefix("arange[")
        .and_then(|b| b.strip_suffix(']'))
    {
        let parts: Vec<&str> = body.split(',').collect();
        let [start, step, len] = parts[..] else {
            return Err("arange needs start,step,len".into());
        };
        return Ok(ArrayLang::Arange {
            start: start.parse()?,
            step: step.parse()?,
            len: len.parse().map_err(|_| "bad arange length".to_string())?,
        });
    }
    if let Some(body) = token.strip_prefix("eye[").and_then(|b| b.strip_suffix(']')) {
        let parts: Vec<&str> = body.split(',').collect();
        let [rows, cols, k, dtype] = parts[..] else {
            return Err("eye needs rows,cols,k,dtype".into());
        };
        let int = |s: &str| {
            s.parse::<usize>()
                .map_err(|_| format!("bad eye extent `{s}`"))
        };
        return Ok(ArrayLang::Eye {
            rows: int(rows)?,
            cols: int(cols)?,
            k: k.parse().map_err(|_| "bad eye diagonal".to_string())?,
            dtype: DType::from_name(dtype).ok_or("unknown eye dtype")?,
        });
    }
    if token.starts_with('[') {
        return parse_dims(token).map(|d| ArrayLang::Attr(Attr::Dims(d)));
    }
    if let Some(body) = token.strip_prefix('<').and_then(|b| b.strip_suffix('>')) {
        return parse_slices(body).map(|s| ArrayLang::Attr(Attr::Slices(s)));
    }
    if let Some(dtype) = DType::from_name(token) {
        return Ok(ArrayLang::Attr(Attr::DType(dtype)));
    }
    token
        .parse::<Const>()
        .map(|c| ArrayLang::Attr(Attr::Value(c)))
}

fn parse_dims(text: &str) -> Result<Vec<usize>, String> {
    let body = text
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .ok_or_else(|| format!("`{text}` is not a `[..]` list"))?;
    if body.is_empty() {
        return Ok(Vec::new());
    }
    body.split(',')
        .map(|d| d.parse().map_err(|_| format!("bad extent `{d}`")))
        .collect()
}

fn parse_slices(body: &str) -> Result<Vec<SliceAxis>, String> {
    if body.is_empty() {
        return Ok(Vec::new());
    }
    body.split(',')
        .map(|axis| {
            let parts: Vec<&str> = axis.split(':').collect();
            let [start, step, len] = parts[..] else {
                return Err(format!("slice axis `{axis}` is not start:step:len"));
            };
            let bad = || format!("bad slice axis `{axis}`");
            Ok(SliceAxis {
                start: start.parse().map_err(|_| bad())?,
                step: step.parse().map_err(|_| bad())?,
                len: len.parse().map_err(|_| bad())?,
            })
        })
        .collect()
}

fn parse_inner(op: &str, children: &[Id]) -> Option<ArrayLang> {
    let one = |c: &[Id]| -> Option<[Id; 1]> { c.try_into().ok() };
    let two = |c: &[Id]| -> Option<[Id; 2]> { c.try_into().ok() };
    if let Some(r) = op.strip_prefix("reduce.") {
        return Some(ArrayLang::Reduce(ReduceOp::from_name(r)?, two(children)?));
    }
    for scan in [ScanOp::Sum, ScanOp::Prod] {
        if let Some(axis) = op
            .strip_prefix(scan.name())
            .and_then(|r| r.strip_prefix('['))
            .and_then(|r| r.strip_suffix(']'))
        {
            return Some(ArrayLang::Scan(scan, axis.parse().ok()?, one(children)?));
        }
    }
    if let Ok(lib) = op.parse::<LibOp>() {
        return (lib.arity() == children.len()).then(|| ArrayLang::Lib(lib, children.to_vec()));
    }
    Some(match op {
        "full" => ArrayLang::Full(two(children)?),
        "where" => ArrayLang::Where(children.try_into().ok()?),
        "cast" => ArrayLang::Cast(two(children)?),
        "reshape" => ArrayLang::Reshape(two(children)?),
        "permute" => ArrayLang::Permute(two(children)?),
        "broadcast" => ArrayLang::Broadcast(two(children)?),
        "slice" => ArrayLang::Slice(two(children)?),
        "matmul" => ArrayLang::MatMul(two(children)?),
        "outputs" => ArrayLang::Outputs(children.to_vec()),
        _ => {
            if let Some(u) = UnaryOp::from_name(op) {
                ArrayLang::Unary(u, one(children)?)
            } else {
                ArrayLang::Binary(BinaryOp::from_name(op)?, two(children)?)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use egg::RecExpr;

    #[test]
    fn text_round_trips() {
        for text in [
            "(add input#0:f32[2,3] (full 1.0:f32 [2,3]))",
            "(reduce.sum [0,1] (cast f64 input#1:i32[4,5]))",
            "(slice <0:1:2,3:-1:2> (permute [1,0] input#0:u8[4,5]))",
            "(outputs (cumsum[0] arange[0:i64,1:i64,5]) eye[3,3,0,f32])",
            "(where (lt input#0:f64[] (full -0.0:f64 [])) (full 1+2j:c64 []) (full 0-1j:c64 []))",
            "(broadcast [4,3] (reshape [1,3] (matmul input#0:f32[1,2] input#1:f32[2,3])))",
        ] {
            let expr: RecExpr<ArrayLang> = text.parse().unwrap();
            assert_eq!(expr.to_string(), text);
        }
    }

    #[test]
    fn malformed_tokens_are_errors() {
        for text in [
            "(frobnicate input#0:f32[2])",
            "(add input#0:f32[2])",
            "input#x:f32[2]",
            "[1,x]",
        ] {
            assert!(text.parse::<RecExpr<ArrayLang>>().is_err(), "{text}");
        }
    }

    #[test]
    fn constants_order_by_bits() {
        let a = Const(Scalar::F32(0.0));
        let b = Const(Scalar::F32(-0.0));
        assert_ne!(a, b);
        assert_ne!(a.cmp(&b), Ordering::Equal);
        assert_eq!(
            Const(Scalar::F64(f64::NAN)).cmp(&Const(Scalar::F64(f64::NAN))),
            Ordering::Equal
        );
    }
}
