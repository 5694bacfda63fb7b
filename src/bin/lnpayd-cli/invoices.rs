//! The Invoices service's unary RPCs: build the request from the flags, call,
//! print. Validation is the daemon's: a value it refuses comes back with
//! its reason, the same one every other client sees.

use lnpayd::proto::{self, create_invoice_request as create, get_invoice_request as get};

use crate::args::{Create, Get, IdArg, List, Wait};
use crate::connect::Target;
use crate::exit::CliError;
use crate::output::print;
use crate::Ctx;

pub fn create_request(a: Create) -> proto::CreateInvoiceRequest {
    let amount = match (a.amount_sat, a.amount_msat) {
        (Some(sat), _) => Some(create::Amount::AmountSat(sat)),
        (None, Some(msat)) => Some(create::Amount::AmountMsat(msat)),
        (None, None) => None,
    };
    let memo = match (a.description, a.description_hash) {
        (Some(d), _) => Some(create::Memo::Description(d)),
        (None, Some(h)) => Some(create::Memo::DescriptionHash(h.0)),
        (None, None) => None,
    };
    proto::CreateInvoiceRequest {
        amount,
        memo,
        expiry_seconds: a.expiry_seconds,
        metadata: a.metadata.into_iter().collect(),
        idempotency_key: a.idempotency_key,
        external_ref: a.external_ref,
        customer_email: a.customer_email,
        product_id: a.product_id,
        quantity: a.quantity,
        success_url: a.success_url,
    }
}

pub async fn create(ctx: &Ctx, target: &Target, a: Create) -> Result<(), CliError> {
    let req = create_request(a);
    let inv = target
        .invoices()
        .await?
        .create_invoice(req)
        .await?
        .into_inner();
    print(ctx.format, &inv, "lnpayd.v1.Invoice")?;
    Ok(())
}

pub async fn get(ctx: &Ctx, target: &Target, a: Get) -> Result<(), CliError> {
    let lookup = match (a.id, a.payment_hash, a.external_ref) {
        (Some(id), _, _) => get::Lookup::Id(id),
        (None, Some(hash), _) => get::Lookup::PaymentHash(hash),
        (None, None, Some(r)) => get::Lookup::ExternalRef(r),
        // clap's group requires one of the three.
        (None, None, None) => {
            return Err(CliError::Usage(
                "give an id, --payment-hash or --external-ref".into(),
            ))
        }
    };
    let req = proto::GetInvoiceRequest {
        lookup: Some(lookup),
    };
    let inv = target
        .invoices()
        .await?
        .get_invoice(req)
        .await?
        .into_inner();
    print(ctx.format, &inv, "lnpayd.v1.Invoice")?;
    Ok(())
}

pub async fn list(ctx: &Ctx, target: &Target, a: List) -> Result<(), CliError> {
    let req = proto::ListInvoicesRequest {
        status: a
            .status
            .map_or(proto::InvoiceStatus::Unspecified, Into::into) as i32,
        created_after: a.created_after,
        created_before: a.created_before,
        page_size: a.page_size,
        page_token: a.page_token,
    };
    let page = target
        .invoices()
        .await?
        .list_invoices(req)
        .await?
        .into_inner();
    print(ctx.format, &page, "lnpayd.v1.ListInvoicesResponse")?;
    Ok(())
}

pub async fn cancel(ctx: &Ctx, target: &Target, a: IdArg) -> Result<(), CliError> {
    let req = proto::CancelInvoiceRequest { id: a.id };
    let inv = target
        .invoices()
        .await?
        .cancel_invoice(req)
        .await?
        .into_inner();
    print(ctx.format, &inv, "lnpayd.v1.Invoice")?;
    Ok(())
}

pub async fn wait(ctx: &Ctx, target: &Target, a: Wait) -> Result<(), CliError> {
    let req = proto::WaitInvoiceRequest {
        id: a.id,
        timeout_seconds: a.timeout_seconds,
    };
    let inv = target
        .invoices()
        .await?
        .wait_invoice(req)
        .await?
        .into_inner();
    print(ctx.format, &inv, "lnpayd.v1.Invoice")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    fn parse(args: &[&str]) -> proto::CreateInvoiceRequest {
        let cli = Cli::try_parse_from([&["lnpayd-cli", "create"], args].concat()).unwrap();
        let Command::Create(a) = cli.command else {
            panic!("not create")
        };
        create_request(a)
    }

    #[test]
    fn create_flags_fill_the_proto_fields_they_are_named_after() {
        let req = parse(&[
            "--amount-sat",
            "1000",
            "--description",
            "coffee",
            "--idempotency-key",
            "k1",
            "--metadata",
            "order=42",
            "--expiry-seconds",
            "600",
        ]);
        assert_eq!(req.amount, Some(create::Amount::AmountSat(1000)));
        assert_eq!(req.memo, Some(create::Memo::Description("coffee".into())));
        assert_eq!(req.idempotency_key, "k1");
        assert_eq!(req.metadata["order"], "42");
        assert_eq!(req.expiry_seconds, 600);
        let req = parse(&["--amount-msat", "5", "--description-hash", &"ab".repeat(32)]);
        assert_eq!(req.amount, Some(create::Amount::AmountMsat(5)));
        assert_eq!(
            req.memo,
            Some(create::Memo::DescriptionHash(vec![0xab; 32]))
        );
    }

    #[test]
    fn the_two_halves_of_a_oneof_cannot_both_be_given() {
        let both = [
            "lnpayd-cli",
            "create",
            "--amount-sat",
            "1",
            "--amount-msat",
            "1",
        ];
        let e = Cli::try_parse_from(both).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
