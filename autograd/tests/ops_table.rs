//! `docs/ops.md`, the table of where each op lives, checked against the source so that it
//! cannot fall behind: every op, layer, optimizer, `Backend` kernel and CUDA kernel has a row,
//! every link leads to a file, and every function a row names is defined in the file it links.
//!
//! How the table is read (deliberately simple, so the rules fit in a few lines):
//! - A table is a run of lines starting with `|`: a header row, a `|---|` separator, then rows.
//!   Cells are split at `|`, so a cell never contains one.
//! - In a cell, each `code` name belongs to the nearest `[link](path)` to its left (a name in the
//!   link's text included). A name before any link belongs to the link in the column's header
//!   (`[gradcheck](../autograd/tests/gradcheck.rs)`), if that has one; otherwise it is prose and
//!   not checked (`F.max_pool2d`, a backward formula).
//! - A name that belongs to a file must be defined there: `fn name`, `struct name`,
//!   `trait name` or `enum name` in a `.rs` file, `void name` in a `.cu` file. For a path
//!   such as `Var::conv2d`, the part after the last `::` is looked up.
//! - A link to `#heading` must match a heading of the page, and the names in it must be ops of
//!   some row.
//!
//! The source is read the same plain way: rustfmt puts `impl Var {` and the `}` that closes it
//! at the start of a line, and one method per `pub fn` line.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

const TABLE: &str = "docs/ops.md";

/// Public `Var` methods that are not ops: they make, read or unwrap a `Var` and record nothing.
const NOT_OPS: &[(&str, &str)] = &[
    ("constant", "makes an untracked Var from a tensor"),
    ("value", "reads the tensor inside"),
    ("into_value", "unwraps the tensor inside"),
    ("shape", "reads the shape"),
    ("dims", "reads the sizes"),
    ("is_tracked", "says whether a tape records it"),
    ("tape", "returns the tape it is recorded on"),
];

/// `Backend` methods that are not kernels of any op.
const NOT_KERNELS: &[(&str, &str)] = &[
    ("len", "the buffer's length"),
    ("is_empty", "the buffer's length"),
    (
        "to_vec",
        "copies a buffer to the host, as every op's result can be",
    ),
];

/// CUDA kernels that are not an op's.
const NOT_OP_CUDA_KERNELS: &[(&str, &str)] = &[(
    "fill",
    "makes constant tensors (zeros, ones) on a GPU, and an empty GEMM's zeros",
)];

// ---------------------------------------------------------------------------------------------
// Reading the table.

/// A `[text](target)` link and the code names that belong to it.
struct Link {
    target: String,
    names: Vec<String>,
}

/// One cell: its text, the names before any link, and its links.
struct Cell {
    text: String,
    unlinked_names: Vec<String>,
    links: Vec<Link>,
}

struct Row {
    line: usize,
    cells: Vec<Cell>,
}

struct Table {
    line: usize,
    header: Vec<Cell>,
    rows: Vec<Row>,
}

impl Row {
    /// The row's op, for messages: the first name of its first cell.
    fn op(&self) -> String {
        let first = &self.cells[0];
        let mut names = first.links.iter().flat_map(|l| &l.names);
        match names.next().or(first.unlinked_names.first()) {
            Some(name) => name.clone(),
            None => first.text.clone(),
        }
    }
}

fn repo() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The files ending in `extension` under `folder` (relative to the repository), recursively.
fn files_under(folder: &str, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![repo().join(folder)];
    while let Some(dir) = folders.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// `tensor/src/ops/pool.rs` for a path inside the repository.
fn shown(path: &Path) -> String {
    let path = path.strip_prefix(repo()).unwrap_or(path);
    path.display().to_string()
}

/// A header for messages: "[`Backend`](../tensor/src/backend.rs) kernel" → "`Backend` kernel".
fn without_links(text: &str) -> String {
    let mut shown = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        shown.push_str(&rest[..at]);
        let end = rest[at..].find(')').map_or(rest.len(), |e| at + e + 1);
        rest = &rest[end..];
    }
    shown.push_str(rest);
    shown.replace('[', "")
}

/// Splits `cell` into its links and names, left to right (see the module comment).
fn parse_cell(text: &str) -> Cell {
    let mut cell = Cell {
        text: text.trim().to_string(),
        unlinked_names: Vec::new(),
        links: Vec::new(),
    };
    let mut rest = text;
    while let Some(start) = rest.find(['[', '`']) {
        rest = &rest[start..];
        if let Some(after) = rest.strip_prefix('`') {
            let Some(end) = after.find('`') else {
                break; // a code span that goes on to the next line: prose, not a table cell
            };
            let name = after[..end].to_string();
            match cell.links.last_mut() {
                Some(link) => link.names.push(name),
                None => cell.unlinked_names.push(name),
            }
            rest = &after[end + 1..];
        } else if let Some((link, after)) = split_link(rest) {
            cell.links.push(link);
            rest = after;
        } else {
            rest = &rest[1..]; // a `[` that starts no link, as in "[0, 1]"
        }
    }
    cell
}

/// `[text](target)` at the start of `s`: the link and what follows it.
fn split_link(s: &str) -> Option<(Link, &str)> {
    let close_text = s.find(']')?;
    let after_text = s[close_text + 1..].strip_prefix('(')?;
    let close_target = after_text.find(')')?;
    let text = &s[1..close_text];
    let names = text
        .split('`')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect();
    let link = Link {
        target: after_text[..close_target].to_string(),
        names,
    };
    Some((link, &after_text[close_target + 1..]))
}

fn split_row(line: &str) -> Vec<&str> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').collect()
}

fn is_separator(line: &str) -> bool {
    line.starts_with('|') && line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

fn tables(doc: &str) -> Vec<Table> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut tables = Vec::new();
    let mut i = 0;
    while i + 1 < lines.len() {
        if !(lines[i].starts_with('|') && is_separator(lines[i + 1])) {
            i += 1;
            continue;
        }
        let header = split_row(lines[i]).into_iter().map(parse_cell).collect();
        let mut table = Table {
            line: i + 1,
            header,
            rows: Vec::new(),
        };
        i += 2;
        while i < lines.len() && lines[i].starts_with('|') {
            let cells = split_row(lines[i]).into_iter().map(parse_cell).collect();
            table.rows.push(Row { line: i + 1, cells });
            i += 1;
        }
        tables.push(table);
    }
    tables
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, other punctuation dropped.
fn anchor(heading: &str) -> String {
    let text = heading.trim_start_matches('#').trim().to_lowercase();
    let kept = text
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'));
    kept.map(|c| if c == ' ' { '-' } else { c }).collect()
}

fn load_table() -> (String, Vec<Table>) {
    let doc = read(&repo().join(TABLE));
    let parsed = tables(&doc);
    (doc, parsed)
}

fn all_rows(tables: &[Table]) -> impl Iterator<Item = &Row> {
    tables.iter().flat_map(|t| &t.rows)
}

/// Whether some row's first cell names `op` (for example `Var::conv2d`) in backticks.
fn has_row(tables: &[Table], op: &str) -> bool {
    let quoted = format!("`{op}`");
    all_rows(tables).any(|row| row.cells[0].text.contains(&quoted))
}

// ---------------------------------------------------------------------------------------------
// Reading the source.

/// Whether `source` defines `name` after one of `keywords`: `fn name(` but not `fn name_2(`.
fn defines(source: &str, keywords: &[&str], name: &str) -> bool {
    keywords.iter().any(|keyword| {
        let wanted = format!("{keyword} {name}");
        source.match_indices(&wanted).any(|(at, _)| {
            let next = source[at + wanted.len()..].chars().next();
            !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    })
}

fn defines_in_file(path: &Path, name: &str) -> bool {
    let source = read(path);
    if path.extension().is_some_and(|e| e == "cu") {
        defines(&source, &["void"], name)
    } else {
        defines(&source, &["fn", "struct", "trait", "enum", "type"], name)
    }
}

/// The identifier at the start of `s` (`max_pool2d` of `max_pool2d(&self, ...`).
fn identifier(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The lines of each block that starts with the line `opening` and ends at the next line `}`.
fn blocks<'a>(source: &'a str, opening: &str) -> Vec<Vec<&'a str>> {
    let mut found = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in source.lines() {
        match &mut current {
            None if line.starts_with(opening) => current = Some(Vec::new()),
            Some(block) if line == "}" => {
                found.push(std::mem::take(block));
                current = None;
            }
            Some(block) => block.push(line),
            None => {}
        }
    }
    found
}

/// The public methods of `impl Var` blocks under `autograd/src/`, with their files.
fn var_methods() -> Vec<(String, PathBuf)> {
    let mut methods = Vec::new();
    for file in files_under("autograd/src", "rs") {
        for block in blocks(&read(&file), "impl Var {") {
            for line in block {
                if let Some(rest) = line.trim().strip_prefix("pub fn ") {
                    methods.push((identifier(rest).to_string(), file.clone()));
                }
            }
        }
    }
    methods
}

/// The methods of the `Backend` trait.
fn backend_methods() -> Vec<String> {
    let source = read(&repo().join("tensor/src/backend.rs"));
    let block = blocks(&source, "pub trait Backend").concat();
    let methods = block.iter().filter_map(|l| l.trim().strip_prefix("fn "));
    methods.map(|rest| identifier(rest).to_string()).collect()
}

/// The names of `pub use module::Name;` lines: what `nn::layers` or `nn::optim` exports.
fn exported(file: &str) -> Vec<String> {
    let source = read(&repo().join(file));
    let uses = source.lines().filter_map(|l| l.strip_prefix("pub use "));
    uses.flat_map(|path| exported_names(path.trim_end_matches(';')))
        .collect()
}

/// The names one `pub use` line exports: `conv2d::Conv2d` → `Conv2d`;
/// `batch_norm::{BatchNorm1d, BatchNorm2d}` → both.
fn exported_names(path: &str) -> Vec<String> {
    let last = path.rsplit("::").next().unwrap_or(path);
    let group = last.trim_start_matches('{').trim_end_matches('}');
    group
        .split(',')
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The checks.

fn assert_no_problems(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{TABLE} is out of date ({} problem(s)); the page's first section says how a row reads:\n\n{}\n",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn every_var_op_has_a_row() {
    let (_, tables) = load_table();
    let methods = var_methods();
    let mut problems = Vec::new();
    for (name, file) in &methods {
        let excluded = NOT_OPS.iter().any(|(n, _)| n == name);
        if !excluded && !has_row(&tables, &format!("Var::{name}")) {
            problems.push(format!(
                "`Var::{name}` ({}) has no row. Add one to its family's table, starting \
                 `| [`Var::{name}`](../{}) |`, with its Tensor method, Backend kernel, CPU and \
                 CUDA kernels, backward rule and tests. If it is not an op (an accessor), add it \
                 to NOT_OPS in autograd/tests/ops_table.rs with the reason.",
                shown(file),
                shown(file)
            ));
        }
    }
    for (name, _) in NOT_OPS {
        if !methods.iter().any(|(m, _)| m == name) {
            problems.push(format!(
                "NOT_OPS in autograd/tests/ops_table.rs lists `Var::{name}`, which no longer \
                 exists: remove it from the list."
            ));
        }
    }
    assert_no_problems(problems);
}

#[test]
fn every_layer_loss_and_optimizer_has_a_row() {
    let (_, tables) = load_table();
    let mut wanted = Vec::new();
    for layer in exported("nn/src/layers/mod.rs") {
        wanted.push((format!("nn::layers::{layer}"), "the Layers table"));
    }
    for optimizer in exported("nn/src/optim/mod.rs") {
        wanted.push((format!("nn::optim::{optimizer}"), "the Optimizers table"));
    }
    let loss = read(&repo().join("nn/src/loss.rs"));
    for line in loss.lines() {
        if let Some(rest) = line.strip_prefix("pub fn ") {
            wanted.push((
                format!("nn::loss::{}", identifier(rest)),
                "the Layers table",
            ));
        }
    }
    let problems = wanted
        .into_iter()
        .filter(|(item, _)| !has_row(&tables, item))
        .map(|(item, table)| {
            format!(
                "`{item}` has no row. Add one to {table}, its first cell `[`{item}`](FILE)` \
                 and the function that runs it, then the ops it calls."
            )
        })
        .collect();
    assert_no_problems(problems);
}

#[test]
fn the_index_names_every_row() {
    let (doc, tables) = load_table();
    // The index: from the heading "## Index" to the next heading of that level.
    let (_, after) = doc
        .split_once("\n## Index\n")
        .unwrap_or_else(|| panic!("{TABLE} has no `## Index` heading"));
    let index = after.split("\n## ").next().unwrap_or(after);
    let mut problems = Vec::new();
    for row in all_rows(&tables) {
        let op = row.op();
        let short = op.rsplit("::").next().unwrap_or(&op);
        if !index.contains(&format!("`{short}`")) {
            problems.push(format!(
                "{TABLE}:{}: the row of `{op}` is not in the index: add `{short}` to the index \
                 line of its table.",
                row.line
            ));
        }
    }
    assert_no_problems(problems);
}

#[test]
fn every_backend_kernel_is_in_a_row() {
    let (_, tables) = load_table();
    let mut listed = BTreeSet::new();
    for table in &tables {
        let Some(column) = table.header.iter().position(|h| h.text.contains("Backend")) else {
            continue;
        };
        for row in &table.rows {
            if let Some(cell) = row.cells.get(column) {
                listed.extend(cell.unlinked_names.iter().cloned());
            }
        }
    }
    let mut problems = Vec::new();
    for kernel in backend_methods() {
        let excluded = NOT_KERNELS.iter().any(|(k, _)| *k == kernel);
        if !excluded && !listed.contains(&kernel) {
            problems.push(format!(
                "`Backend::{kernel}` is in no row's Backend column. Add it to the row of the op \
                 that calls it (or add that op's row), with its CPU function, CUDA launch \
                 function and CUDA kernel. If it is not a kernel, add it to NOT_KERNELS in \
                 autograd/tests/ops_table.rs with the reason."
            ));
        }
    }
    assert_no_problems(problems);
}

#[test]
fn every_cuda_kernel_is_in_a_row() {
    let (_, tables) = load_table();
    let mut listed = BTreeSet::new();
    for row in all_rows(&tables) {
        for link in row.cells.iter().flat_map(|c| &c.links) {
            if link.target.ends_with(".cu") {
                listed.extend(link.names.iter().cloned());
            }
        }
    }
    let mut problems = Vec::new();
    for file in files_under("tensor/src/cuda/kernels", "cu") {
        for line in read(&file).lines() {
            let Some((_, rest)) = line.split_once("__global__ void ") else {
                continue;
            };
            let kernel = identifier(rest);
            let excluded = NOT_OP_CUDA_KERNELS.iter().any(|(k, _)| *k == kernel);
            if !excluded && !listed.contains(kernel) {
                let name = file.file_name().unwrap().to_string_lossy();
                problems.push(format!(
                    "CUDA kernel `{kernel}` ({}) is in no row. In the row of the op that \
                     launches it, add `{kernel}` after the link [{name}](../{}) in the CUDA \
                     kernel column.",
                    shown(&file),
                    shown(&file)
                ));
            }
        }
    }
    assert_no_problems(problems);
}

#[test]
fn every_link_leads_to_a_file_that_defines_the_names_given_with_it() {
    let (doc, tables) = load_table();
    let docs = repo().join("docs");
    let anchors: BTreeSet<String> = doc
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(anchor)
        .collect();
    let mut problems = Vec::new();
    // Every link on the page, tables or not, must lead somewhere.
    for link in doc.lines().flat_map(|l| parse_cell(l).links) {
        if link.target.starts_with("http") {
            continue;
        }
        if let Some(heading) = link.target.strip_prefix('#') {
            if !anchors.contains(heading) {
                problems.push(format!(
                    "link to `#{heading}`: the page has no such heading"
                ));
            }
        } else if !docs.join(&link.target).exists() {
            problems.push(format!(
                "link to `{}`: no such file (links are relative to docs/)",
                link.target
            ));
        }
    }
    for table in &tables {
        for row in &table.rows {
            let at = format!("{TABLE}:{}, row `{}`", row.line, row.op());
            if row.cells.len() != table.header.len() {
                problems.push(format!(
                    "{at}: {} cells, but the table's header (line {}) has {}",
                    row.cells.len(),
                    table.line,
                    table.header.len()
                ));
                continue;
            }
            for (cell, header) in row.cells.iter().zip(&table.header) {
                let column = without_links(&header.text);
                let mut groups: Vec<(&str, &[String])> = Vec::new();
                if let Some(default) = header.links.first() {
                    groups.push((&default.target, &cell.unlinked_names));
                }
                for link in &cell.links {
                    groups.push((&link.target, &link.names));
                }
                for (target, names) in groups {
                    for name in names {
                        check_name(&tables, &docs, target, name, &at, &column, &mut problems);
                    }
                }
            }
        }
    }
    assert_no_problems(problems);
}

/// One name given with a link: an op of the page for `#anchor`, a definition in the file else.
fn check_name(
    tables: &[Table],
    docs: &Path,
    target: &str,
    name: &str,
    at: &str,
    column: &str,
    problems: &mut Vec<String>,
) {
    if target.starts_with('#') {
        if !has_row(tables, name) {
            problems.push(format!(
                "{at}, column {column}: `{name}` links to {target}, but no row is for `{name}`"
            ));
        }
        return;
    }
    let path = docs.join(target);
    if !path.exists() {
        return; // reported with the links
    }
    let short = name.rsplit("::").next().unwrap_or(name);
    if identifier(short) != short || short.is_empty() {
        problems.push(format!(
            "{at}, column {column}: `{name}` follows a link to {target}, so it must be a \
             function or type name defined there; move prose before the link or drop its `code`"
        ));
    } else if !defines_in_file(&path, short) {
        let what = if target.ends_with(".cu") {
            format!("`void {short}(`")
        } else {
            format!("`fn {short}` (or a struct, trait, enum or type alias)")
        };
        problems.push(format!(
            "{at}, column {column}: `{name}` is not defined in {} (no {what} there). Fix the \
             name or the link.",
            shown(&path.canonicalize().unwrap_or(path.clone()))
        ));
    }
}

#[test]
fn every_cuda_kernel_of_a_row_is_launched_from_that_rows_launch_file() {
    let (_, tables) = load_table();
    let docs = repo().join("docs");
    let mut problems = Vec::new();
    for row in all_rows(&tables) {
        let links: Vec<&Link> = row.cells.iter().flat_map(|c| &c.links).collect();
        let is_launch_file = |t: &str| t.contains("tensor/src/cuda/") && t.ends_with(".rs");
        let launch_files: Vec<&str> = links
            .iter()
            .map(|l| l.target.as_str())
            .filter(|t| is_launch_file(t))
            .collect();
        let kernels = links.iter().filter(|l| l.target.ends_with(".cu"));
        for kernel in kernels.flat_map(|l| &l.names) {
            // Launch::grid_stride(device, "max_pool2d", n) names the kernel in quotes.
            let quoted = format!("\"{kernel}\"");
            let launched = launch_files.iter().any(|file| {
                let path = docs.join(file);
                path.exists() && read(&path).contains(&quoted)
            });
            if !launched {
                problems.push(format!(
                    "{TABLE}:{}, row `{}`: CUDA kernel `{kernel}` is not launched (no {quoted}) \
                     from the row's CUDA launch files {launch_files:?}. Link the file that \
                     launches it.",
                    row.line,
                    row.op()
                ));
            }
        }
    }
    assert_no_problems(problems);
}
