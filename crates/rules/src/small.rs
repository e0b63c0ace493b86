//! Sorting for the short lists a verdict or a deadline sorts (a dozen errors, four service
//! days, a few years of holidays). Every `slice::sort*` instantiation brings its own copy
//! of the standard library's sort into the browser form (~2 KB gzip each); one insertion
//! sort is a few hundred bytes, and at these lengths it is as fast.

/// Stable: equal keys keep their order.
pub(crate) fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && key(&items[j - 1]) > key(&items[j]) {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_like_the_standard_stable_sort(items in prop::collection::vec((0u8..8, any::<u16>()), 0..40)) {
            let mut ours = items.clone();
            super::sort_by_key(&mut ours, |&(k, _)| k);
            let mut std = items;
            std.sort_by_key(|&(k, _)| k);
            prop_assert_eq!(ours, std);
        }
    }
}
