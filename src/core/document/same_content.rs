//! Whether two documents hold the same data, whatever their formatting: the
//! check that a splice of the text wrote what the edited model holds.

use toml_edit::{Item, Table};

use super::values_equal;

/// Same keys with equal values; empty implicit tables (what is left of a
/// dotted key once its last key is removed) count as absent.
pub(super) fn tables_equal(a: &Table, b: &Table) -> bool {
    let present = |t: &Table| t.iter().filter(|(_, i)| !is_nothing(i)).count();
    present(a) == present(b)
        && a.iter()
            .filter(|(_, i)| !is_nothing(i))
            .all(|(k, i)| b.get(k).is_some_and(|j| items_equal(i, j)))
}

fn is_nothing(item: &Item) -> bool {
    match item {
        Item::None => true,
        Item::Table(t) => t.is_implicit() && t.iter().all(|(_, i)| is_nothing(i)),
        _ => false,
    }
}

fn items_equal(a: &Item, b: &Item) -> bool {
    match (a, b) {
        (Item::Value(x), Item::Value(y)) => values_equal(x, y),
        (Item::Table(x), Item::Table(y)) => tables_equal(x, y),
        (Item::ArrayOfTables(x), Item::ArrayOfTables(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(s, t)| tables_equal(s, t))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> toml_edit::DocumentMut {
        text.parse().unwrap()
    }

    #[test]
    fn formatting_and_order_do_not_matter_values_do() {
        let a = root("a.b = 1\nc = 2\n[t]\nx = [1, 2]\n");
        let b = root("c = 2\n[a]\nb = 1\n[t]\nx = [ 1 ,2 ]\n");
        assert!(tables_equal(a.as_table(), b.as_table()));
        let c = root("c = 3\n[a]\nb = 1\n[t]\nx = [1, 2]\n");
        assert!(!tables_equal(a.as_table(), c.as_table()));
        let mut d = root("a.b = 1\nc = 2\n[t]\nx = [1, 2]\n");
        if let Some(t) = d.get_mut("a").and_then(Item::as_table_mut) {
            t.remove("b");
        }
        assert!(tables_equal(
            d.as_table(),
            root("c = 2\n[t]\nx = [1, 2]\n").as_table()
        ));
    }
}
