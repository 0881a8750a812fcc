//! The vault quota: the 11th vault of an account is refused with
//! `TooManyVaults`, which the client tells apart (`Error::is_quota_exceeded`)
//! and explains in its message.

mod common;
use oas as sdk;

use oas::{Client, Vault};
use oas_emulator::{Config, Emulator};

#[test]
fn eleventh_vault_is_a_quota_error() {
    let emu = Emulator::start(Config::default()).unwrap();
    let client = Client::new(common::options(&emu)).unwrap();
    for i in 0..10 {
        Vault::create(&client, &format!("quota-{i}")).unwrap();
    }
    // Re-creating an existing name is not a new vault.
    Vault::create(&client, "quota-3").unwrap();
    let err = Vault::create(&client, "quota-10").unwrap_err();
    assert!(err.is_quota_exceeded(), "{err:?}");
    let server = err.server().unwrap();
    assert_eq!(
        (server.status, server.code.as_str()),
        (403, "TooManyVaults")
    );
    let msg = err.to_string();
    assert!(
        msg.contains("allows 10 vaults per account and region"),
        "{msg}"
    );
    // Other errors are not quota errors.
    let other = Vault::get_by_id(&client, "0123456789ABCDEF0123456789ABCDEF").unwrap_err();
    assert!(!other.is_quota_exceeded(), "{other:?}");
}
