//! A customer's typed fields checked the same way by the admin form and
//! the REST API: the name, a Kenyan mobile number, an e-mail address.

/// Every problem with the typed fields, as (field, message).
pub fn problems(name: &str, phone: &str, email: &str) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if name.trim().is_empty() {
        out.push(("name", "Type the customer's name."));
    } else if name.chars().count() > 200 {
        out.push(("name", "At most 200 characters."));
    }
    let phone = phone.trim();
    if !phone.is_empty() && crate::model::msisdn(phone).is_none() {
        out.push(("phone", "Not a Kenyan mobile number (07XXXXXXXX, 01XXXXXXXX, +2547XXXXXXXX)."));
    }
    let email = email.trim();
    if !email.is_empty() && (!email.contains('@') || email.len() > 254 || email.contains(char::is_whitespace)) {
        out.push(("email", "That is not an e-mail address."));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_field_is_named() {
        assert!(super::problems("Amina", "0712345678", "a@b.ke").is_empty());
        let p = super::problems(" ", "12", "nope");
        assert_eq!(p.iter().map(|x| x.0).collect::<Vec<_>>(), ["name", "phone", "email"]);
        assert_eq!(super::problems(&"x".repeat(201), "", "")[0].0, "name");
    }
}
