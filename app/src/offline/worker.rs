//! The service worker (public/sw.js): registering it, and the messages the page sends it.

#[cfg(feature = "hydrate")]
use leptos::prelude::*;

/// Whether this browser has service workers (not in insecure contexts, nor in old browsers).
#[cfg(feature = "hydrate")]
fn has_service_workers() -> bool {
    js_sys::Reflect::has(
        &window().navigator(),
        &wasm_bindgen::JsValue::from_str("serviceWorker"),
    )
    .unwrap_or(false)
}

/// Sends a message to the service worker controlling this page, if there is one.
#[cfg(feature = "hydrate")]
pub(super) fn tell_worker(message: &str) {
    if !has_service_workers() {
        return;
    }
    if let Some(worker) = window().navigator().service_worker().controller() {
        let _ = worker.post_message(&wasm_bindgen::JsValue::from_str(message));
    }
}

/// Whether the browser says it has a connection (always true on the server).
pub fn is_browser_online() -> bool {
    #[cfg(feature = "hydrate")]
    {
        window().navigator().on_line()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        true
    }
}

/// Asks the service worker to keep an offline copy of `url` (a page reached by client-side
/// navigation, which the worker does not see).
pub fn remember_page(url: &str) {
    #[cfg(feature = "hydrate")]
    tell_worker(&format!("cache:{url}"));
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// Registers the service worker for the build named in the page's `postboard-build` meta tag,
/// with the build's asset files (`/sw.js?v=<build>&asset=/pkg/postboard.<hash>.wasm&...`), so
/// a new build replaces the worker and its caches, and the worker knows what to keep.
pub fn register_service_worker() {
    #[cfg(feature = "hydrate")]
    {
        let build = document()
            .query_selector("meta[name=postboard-build]")
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"))
            .unwrap_or_else(|| "dev".to_owned());
        // The build's asset files, whose names carry their hashes: the worker keeps these.
        let mut assets = String::new();
        if let Ok(links) = document().query_selector_all(r#"link[href^="/pkg/"]"#) {
            for index in 0..links.length() {
                let href = links
                    .item(index)
                    .and_then(|node| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(node).ok())
                    .and_then(|link| link.get_attribute("href"));
                if let Some(href) = href {
                    assets.push_str("&asset=");
                    assets.push_str(&String::from(js_sys::encode_uri_component(&href)));
                }
            }
        }
        if has_service_workers() {
            let _ = window()
                .navigator()
                .service_worker()
                .register(&format!("/sw.js?v={build}{assets}"));
        }
    }
}
