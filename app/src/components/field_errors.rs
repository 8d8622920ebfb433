//! The messages for one form field, shown under its input.

use leptos::prelude::*;

use crate::error::AppError;

/// Renders the messages `error` carries for `field` (nothing when there are none).
#[component]
pub fn FieldErrorList(
    /// The last error of the form's action, if any.
    #[prop(into)]
    error: Signal<Option<AppError>>,
    /// The field's name, as in the form.
    field: &'static str,
) -> impl IntoView {
    let messages = move || {
        error
            .get()
            .and_then(|error| error.field_errors().cloned())
            .map(|errors| {
                errors
                    .messages_for(field)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    view! {
        <ul class="field-errors" data-field=field>
            <For each=messages key=|msg| msg.clone() let:msg>
                <li>{msg}</li>
            </For>
        </ul>
    }
}

/// The form-level message of an error that is not about one field (e.g. bad credentials).
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().and_then(|error| match error {
            AppError::Validation(_) => None,
            other => Some(view! { <p class="form-error" role="alert">{other.to_string()}</p> }),
        })
    }
}
