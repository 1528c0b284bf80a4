namespace PaySessions.Tests.Infrastructure;

/// <summary>The Xendit seed's three request examples of <c>POST /sessions</c>, byte for byte. None carries <c>expires_at</c>, so any clock does.</summary>
public static class XenditSeedExamples
{
    public const string Pay = """
        {
          "reference_id": "order_12345_PAY",
          "session_type": "PAY",
          "mode": "PAYMENT_LINK",
          "amount": 10000,
          "currency": "PHP",
          "country": "PH",
          "customer": {
            "reference_id": "cust_Lorem_Ipsum",
            "type": "INDIVIDUAL",
            "email": "test@yourdomain.com",
            "mobile_number": "+6212345678",
            "individual_detail": {
              "given_names": "Lorem",
              "surname": "Ipsum"
            }
          },
          "items": [
            {
              "reference_id": "item_001",
              "name": "Clothes",
              "description": "Red clothes",
              "type": "PHYSICAL_PRODUCT",
              "category": "CLOTHES",
              "net_unit_amount": 5000,
              "quantity": 1,
              "currency": "PHP",
              "url": "https://example.com/item"
            },
            {
              "reference_id": "item_002",
              "name": "Pants",
              "description": "Black pants",
              "type": "PHYSICAL_PRODUCT",
              "category": "CLOTHES",
              "net_unit_amount": 5000,
              "quantity": 1,
              "currency": "PHP",
              "url": "https://example.com/item"
            }
          ],
          "capture_method": "AUTOMATIC",
          "locale": "en",
          "description": "Sample one-time payment using Payment Session",
          "success_return_url": "https://yourcompany.com/success/example_item=my_item",
          "cancel_return_url": "https://yourcompany.com/cancel/example_item=my_item"
        }
        """;

    public const string PayAndSave = """
        {
          "reference_id": "order_123456_SAVE",
          "customer": {
            "reference_id": "cust_Lorem_Ipsum",
            "type": "INDIVIDUAL",
            "email": "test@yourdomain.com",
            "mobile_number": "+6212345678",
            "individual_detail": {
              "given_names": "Lorem",
              "surname": "Ipsum"
            }
          },
          "session_type": "PAY",
          "currency": "IDR",
          "amount": 10000,
          "mode": "PAYMENT_LINK",
          "allow_save_payment_method": "OPTIONAL",
          "country": "ID",
          "locale": "en",
          "description": "Insurance Plan Registration",
          "success_return_url": "https://yourcompany.com/success/example_item=my_item",
          "cancel_return_url": "https://yourcompany.com/cancel/example_item=my_item"
        }
        """;

    public const string Save = """
        {
          "reference_id": "order_123456_SAVE",
          "customer": {
            "reference_id": "cust_Lorem_Ipsum",
            "type": "INDIVIDUAL",
            "email": "test@yourdomain.com",
            "mobile_number": "+6212345678",
            "individual_detail": {
              "given_names": "Lorem",
              "surname": "Ipsum"
            }
          },
          "session_type": "SAVE",
          "currency": "IDR",
          "amount": 0,
          "mode": "PAYMENT_LINK",
          "country": "ID",
          "locale": "en",
          "description": "Insurance Plan Registration",
          "success_return_url": "https://yourcompany.com/success/example_item=my_item",
          "cancel_return_url": "https://yourcompany.com/cancel/example_item=my_item"
        }
        """;
}
